import { ConnectionInfo, DatabaseDriver } from './connection-info';
import { InvalidConnectionError } from './source.errors';

/** The TypeORM DataSource options this library reads (a subset of DataSourceOptions). */
export interface TypeOrmConnectionOptions {
  type: string;
  host?: string;
  port?: number | string;
  username?: string;
  password?: string;
  database?: string;
  url?: string;
}

const DRIVERS: Record<string, DatabaseDriver> = {
  postgres: 'postgres',
  mysql: 'mysql',
  mariadb: 'mariadb',
  sqlite: 'sqlite',
  'better-sqlite3': 'sqlite',
};

const URL_DRIVERS: Record<string, DatabaseDriver> = {
  'postgres:': 'postgres',
  'postgresql:': 'postgres',
  'mysql:': 'mysql',
  'mariadb:': 'mariadb',
};

const SUPPORTED = 'postgres, mysql, mariadb, sqlite, better-sqlite3';

/**
 * Reads a TypeORM DataSource's options into a ConnectionInfo. As in TypeORM, `url` is parsed
 * first and the explicit options override its parts.
 *
 * @example
 * connectionFromTypeOrm(dataSource.options, dataSource.name ?? 'default')
 */
export function connectionFromTypeOrm(options: TypeOrmConnectionOptions, name = 'default'): ConnectionInfo {
  const driver = DRIVERS[options.type];
  if (!driver) {
    throw new InvalidConnectionError(
      `DataSource "${name}" uses the database type "${options.type}", which nest-backup cannot back up.`,
      `Supported types: ${SUPPORTED}. Leave this DataSource out of BACKUP_DATABASES.`,
    );
  }
  const fromUrl = options.url ? connectionFromUrl(options.url, name) : undefined;
  if (fromUrl && fromUrl.driver !== driver && !(driver === 'mariadb' && fromUrl.driver === 'mysql')) {
    throw new InvalidConnectionError(
      `DataSource "${name}" has type "${options.type}" but its url is for ${fromUrl.driver}.`,
      'Make the url scheme match the DataSource type.',
    );
  }
  const port = options.port !== undefined && options.port !== '' ? Number(options.port) : fromUrl?.port;
  const info: ConnectionInfo = {
    name,
    driver,
    database: options.database ?? fromUrl?.database ?? '',
    host: options.host ?? fromUrl?.host,
    port: driver === 'sqlite' ? undefined : (port ?? (driver === 'postgres' ? 5432 : 3306)),
    username: options.username ?? fromUrl?.username,
    password: options.password ?? fromUrl?.password,
  };
  if (driver === 'sqlite') {
    delete info.host;
    delete info.port;
    delete info.username;
    delete info.password;
  }
  if (!info.database) {
    throw new InvalidConnectionError(
      `DataSource "${name}" (${options.type}) names no database.`,
      driver === 'sqlite'
        ? 'Set its "database" option to the SQLite file path.'
        : 'Set its "database" option or put the name in the url path.',
    );
  }
  if (info.port !== undefined && !(Number.isInteger(info.port) && info.port > 0 && info.port < 65536)) {
    throw new InvalidConnectionError(`DataSource "${name}" has an invalid port "${options.port}".`, 'Use a number between 1 and 65535.');
  }
  return info;
}

/**
 * Parses a DB_URL: `sqlite:relative/file.db`, `sqlite:///absolute/file.db`,
 * `postgres://user:pass@host:5432/db`, `mysql://…`, `mariadb://…`.
 */
export function connectionFromUrl(url: string, name = 'default'): ConnectionInfo {
  const sqlite = /^sqlite3?:(.*)$/i.exec(url);
  if (sqlite) {
    let path = sqlite[1];
    if (path.startsWith('//')) path = path.slice(2);
    if (!path) throw new InvalidConnectionError(`The SQLite URL "${url}" names no file.`, 'Write it as sqlite:path/to/file.db.');
    return { name, driver: 'sqlite', database: decodeURIComponent(path) };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidConnectionError(
      'The database URL cannot be parsed.',
      'Write it as postgres://user:password@host:5432/db, mysql://…, mariadb://… or sqlite:path/to/file.db (percent-encode special characters in the password).',
    );
  }
  const driver = URL_DRIVERS[parsed.protocol];
  if (!driver) {
    throw new InvalidConnectionError(
      `The database URL scheme "${parsed.protocol}" is not supported.`,
      'Use postgres://, mysql://, mariadb:// or sqlite:.',
    );
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!database) {
    throw new InvalidConnectionError(
      `The database URL for ${driver} names no database.`,
      'Put the database name in the path: …@host:port/<database>.',
    );
  }
  const info: ConnectionInfo = {
    name,
    driver,
    database,
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || undefined,
    port: parsed.port ? Number(parsed.port) : driver === 'postgres' ? 5432 : 3306,
  };
  if (parsed.username) info.username = decodeURIComponent(parsed.username);
  if (parsed.password) info.password = decodeURIComponent(parsed.password);
  return info;
}
