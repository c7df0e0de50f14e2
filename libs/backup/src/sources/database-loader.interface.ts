import { Readable } from 'node:stream';
import { ConnectionInfo, DatabaseDriver } from './connection-info';

export interface LoadOptions {
  /**
   * Sessions loading at once (BACKUP_RESTORE_JOBS); 1 is one session and one transaction. Above
   * 1 the load is not one transaction: only into a database the caller drops if it fails.
   */
  jobs?: number;
}

/**
 * Restore's counterpart of DatabaseDumper: loads a dump this library wrote into a database and
 * manages scratch databases for test restores. `connection` carries the server and credentials;
 * for SQLite `name` / `connection.database` is a file path.
 */
export interface DatabaseLoader {
  supports(driver: DatabaseDriver): boolean;
  /**
   * Loads `sql` into `connection.database`, all or nothing; rejects with a LoadFailedError.
   * May resolve with the rows per table the server acknowledged while loading (keyed like
   * countRows), which spares the caller a count over the loaded tables.
   */
  load(connection: ConnectionInfo, sql: Readable, options?: LoadOptions): Promise<Record<string, number> | void>;
  createDatabase(connection: ConnectionInfo, name: string): Promise<void>;
  /** Drops it if it exists (PostgreSQL: ending other sessions first). */
  dropDatabase(connection: ConnectionInfo, name: string): Promise<void>;
  databaseExists(connection: ConnectionInfo, name: string): Promise<boolean>;
  /** Rows per table of `connection.database`, keyed like DumpFacts.tables. */
  countRows(connection: ConnectionInfo): Promise<Record<string, number>>;
}
