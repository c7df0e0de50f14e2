import type { Readable } from 'node:stream';
import { DatabaseDriver } from '../../sources/connection-info';

/** A live column as the database reports it (not as the entity says). */
export interface LiveColumn {
  name: string;
  nullable: boolean;
  /** Has a default or is generated (identity, auto-increment, SQLite rowid alias). */
  hasDefault: boolean;
  dataType: string;
  /** Computed by the database (never exported nor inserted). */
  generated?: boolean;
}

/**
 * One connection to the host's database, just enough for tenant export and restore: bound
 * parameters only (values never enter SQL text), row streaming with back pressure, one
 * transaction at a time. Implementations: postgres.session.ts, mysql.session.ts, sqlite.session.ts.
 */
export interface SqlSession {
  readonly driver: DatabaseDriver;
  quote(identifier: string): string;
  /** The placeholder for the n-th (1-based) parameter. */
  placeholder(n: number): string;
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Runs a statement; resolves with the number of rows it changed. */
  execute(sql: string, params?: unknown[]): Promise<number>;
  /** Streams the rows of a SELECT as objects; only inside a transaction on PostgreSQL (a cursor). */
  stream(sql: string, params?: unknown[]): AsyncIterable<Record<string, unknown>>;
  /** `readOnly` gives a consistent snapshot for exports. */
  begin(mode: 'read' | 'write'): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** Columns of `table` in order; empty when the table does not exist. */
  columns(table: string): Promise<LiveColumn[]>;
  /**
   * Columns of several tables in one round trip (optional: PostgreSQL's information_schema
   * costs a few ms per query, a fixed cost of every tenant export). Same result as `columns`.
   */
  columnsOf?(tables: string[]): Promise<Map<string, LiveColumn[]>>;
  /**
   * Optional fast path (PostgreSQL): rows of `table` already written as JSON Lines by the server
   * (COPY ... TO STDOUT: no row is parsed or built in Node), the same values encodeRow writes.
   * `condition` gets the SQL expression that stands for the tenant id. Resolves with undefined
   * when a column's type has no server-side encoding; the caller then streams rows itself.
   */
  jsonLines?(
    table: string,
    columns: LiveColumn[],
    condition: (tenantId: string) => string,
    id: string | number,
    keyType: string,
  ): Promise<Readable | undefined>;
  close(): Promise<void>;
}
