import { ConnectionInfo } from './connection-info';
import { SecretFile } from './secret-file';

/** Where a PostgreSQL connection points, for messages ("127.0.0.1:5432"); never the password. */
export function pgWhere(c: ConnectionInfo): string {
  return `${c.host ?? 'localhost'}:${c.port ?? 5432}`;
}

/** A libpq passfile line that matches any host, port, database and user; `:` and `\` escaped. */
export function pgPassfileLine(password: string): string {
  return `*:*:*:*:${password.replace(/\\/g, '\\\\').replace(/:/g, '\\:')}\n`;
}

/**
 * Environment for psql / pg_dump. Everything about the connection goes through libpq's PG*
 * variables, and the password through a 0600 passfile (PGPASSFILE) rather than PGPASSWORD, so
 * it is neither on the command line nor in the child's environment.
 */
export function pgEnv(c: ConnectionInfo, database: string, passfile?: SecretFile): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('PG')) delete env[key];
  if (c.host) env.PGHOST = c.host;
  if (c.port) env.PGPORT = String(c.port);
  if (c.username) env.PGUSER = c.username;
  env.PGDATABASE = database;
  env.PGCONNECT_TIMEOUT = '15';
  env.PGAPPNAME = 'nest-backup';
  if (passfile) env.PGPASSFILE = passfile.path;
  return env;
}

export async function pgPassfile(c: ConnectionInfo, parentDir?: string): Promise<SecretFile | undefined> {
  return c.password ? SecretFile.create('pgpass', pgPassfileLine(c.password), parentDir) : undefined;
}
