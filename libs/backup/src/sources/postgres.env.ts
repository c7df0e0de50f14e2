import { ConnectionInfo } from './connection-info';
import { SecretFile } from './secret-file';
import { toolEnv } from './tool.env';

/** Where a PostgreSQL connection points, for messages ("127.0.0.1:5432"); never the password. */
export function pgWhere(c: ConnectionInfo): string {
  return `${c.host ?? 'localhost'}:${c.port ?? 5432}`;
}

/** A libpq passfile line that matches any host, port, database and user; `:` and `\` escaped. */
export function pgPassfileLine(password: string): string {
  return `*:*:*:*:${password.replace(/\\/g, '\\\\').replace(/:/g, '\\:')}\n`;
}

/**
 * Environment for psql / pg_dump: the allow-list of toolEnv (no PG* variable of the app's own
 * environment either) plus libpq's PG* variables for the connection. The password goes through
 * a 0600 passfile (PGPASSFILE) rather than PGPASSWORD, so it is neither on the command line nor
 * in the child's environment.
 */
export function pgEnv(c: ConnectionInfo, database: string, passfile?: SecretFile): NodeJS.ProcessEnv {
  return toolEnv({
    PGHOST: c.host,
    PGPORT: c.port ? String(c.port) : undefined,
    PGUSER: c.username,
    PGDATABASE: database,
    PGCONNECT_TIMEOUT: '15',
    PGAPPNAME: 'nest-backup',
    PGPASSFILE: passfile?.path,
  });
}

export async function pgPassfile(c: ConnectionInfo, parentDir?: string): Promise<SecretFile | undefined> {
  return c.password ? SecretFile.create('pgpass', pgPassfileLine(c.password), parentDir) : undefined;
}
