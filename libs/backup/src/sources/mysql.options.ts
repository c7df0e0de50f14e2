import { ConnectionInfo } from './connection-info';
import { findOnPath } from './db-tool';
import { SecretFile } from './secret-file';

/** Where a MySQL/MariaDB connection points, for messages; never the password. */
export function mysqlWhere(c: ConnectionInfo): string {
  return `${c.host ?? 'localhost'}:${c.port ?? 3306}`;
}

/** An option-file value in double quotes, with the escapes the MySQL option parser undoes. */
function quoteOption(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}"`;
}

/** The `[client]` group every mysql/mariadb tool reads: connection and password, nothing else. */
export function mysqlDefaultsContent(c: ConnectionInfo): string {
  const lines = ['[client]'];
  if (c.host) lines.push(`host=${quoteOption(c.host)}`);
  if (c.port) lines.push(`port=${c.port}`);
  if (c.username) lines.push(`user=${quoteOption(c.username)}`);
  // An explicit empty password stops the tool from prompting or reading another file's one.
  lines.push(`password=${quoteOption(c.password ?? '')}`);
  lines.push('default-character-set=utf8mb4');
  return lines.join('\n') + '\n';
}

/**
 * Writes the 0600 `--defaults-file` (the only option file the tool then reads) in its own 0700
 * directory. The password reaches the tool only this way: never through argv (visible in `ps`)
 * or MYSQL_PWD (deprecated, visible in /proc/<pid>/environ).
 */
export function mysqlDefaultsFile(c: ConnectionInfo, parentDir?: string): Promise<SecretFile> {
  return SecretFile.create('my.cnf', mysqlDefaultsContent(c), parentDir);
}

/** MariaDB's own tool names first, the MySQL ones as a fallback. */
export function mysqlTool(kind: 'dump' | 'client', bin?: string): { bin: string; tool: string } {
  const names = kind === 'dump' ? ['mariadb-dump', 'mysqldump'] : ['mariadb', 'mysql'];
  if (bin) return { bin, tool: names.find((n) => bin.endsWith(n)) ?? names[0] };
  const found = findOnPath(names);
  if (!found) return { bin: names[0], tool: names[0] };
  return { bin: found, tool: names.find((n) => found.endsWith('/' + n))! };
}
