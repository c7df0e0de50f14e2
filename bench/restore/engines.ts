import { RestoreEngine } from './engine';
import { mariadbEngine } from './mariadb.data';
import { postgresEngine } from './postgres.data';

/** The servers the restore bench knows, by BENCH_ENGINES name. */
export const ENGINES: Record<string, RestoreEngine> = {
  postgres: postgresEngine,
  mariadb: mariadbEngine,
};
