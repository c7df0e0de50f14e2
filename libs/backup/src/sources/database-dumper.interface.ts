import { Readable } from 'node:stream';
import { ConnectionInfo, DatabaseDriver } from './connection-info';

/** What a finished dump knows about itself; goes into the archive's manifest. */
export interface DumpFacts {
  driver: DatabaseDriver;
  database: string;
  /** e.g. "pg_dump (PostgreSQL) 15.19" */
  tool: string;
  /** Rows per table, counted in the same snapshot the dump was taken from where possible. */
  tables: Record<string, number>;
}

/** A dump in flight: read `stream` to the end; `facts` settles after the stream ends. */
export interface DumpHandle {
  readonly stream: Readable;
  /** Resolves when the dump tool exited cleanly; rejects with a DumpFailedError otherwise. */
  readonly facts: Promise<DumpFacts>;
  /** Stops the dump tool (timeout, SIGTERM, another destination failing). */
  cancel(reason?: Error): void;
}

/** Extension point: one implementation per database engine. */
export interface DatabaseDumper {
  supports(driver: DatabaseDriver): boolean;
  dump(connection: ConnectionInfo): DumpHandle;
}
