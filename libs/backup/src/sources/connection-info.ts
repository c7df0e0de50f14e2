/** The database drivers this library can dump and restore. */
export type DatabaseDriver = 'postgres' | 'mysql' | 'mariadb' | 'sqlite';

/**
 * A database to back up, as read from a TypeORM DataSource's options (or a DB_URL).
 * `password` is only ever handed to the dump tool through the environment or a 0600 file.
 */
export interface ConnectionInfo {
  /** The TypeORM DataSource name ("default" unless named). */
  name: string;
  driver: DatabaseDriver;
  /** Database name; for SQLite the path of the database file. */
  database: string;
  host?: string;
  port?: number;
  username?: string;
  password?: string;
}
