import * as path from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { DEMO_ENTITIES } from '../entities';

/** The demo's default: an embedded SQLite file, so `npm run demo` needs no server. */
export const DEFAULT_DB_URL = 'sqlite:storage/demo.sqlite';

/**
 * DB_URL → TypeORM options: `sqlite:<file>`, `postgres://user:pass@host:port/db`,
 * `mysql://…` or `mariadb://…`.
 */
export function dataSourceOptionsFromUrl(url: string = DEFAULT_DB_URL, cwd = process.cwd()): DataSourceOptions {
  const common = { entities: DEMO_ENTITIES, synchronize: false, logging: false } as const;
  if (url.startsWith('sqlite:')) {
    return { ...common, type: 'better-sqlite3', database: path.resolve(cwd, url.slice('sqlite:'.length)) };
  }
  const scheme = url.split(':', 1)[0];
  if (scheme === 'postgres' || scheme === 'postgresql') return { ...common, type: 'postgres', url };
  if (scheme === 'mysql') return { ...common, type: 'mysql', url };
  if (scheme === 'mariadb') return { ...common, type: 'mariadb', url };
  throw new Error(`DB_URL must start with sqlite:, postgres://, mysql:// or mariadb:// (got "${scheme}:")`);
}
