import { Logger } from '@nestjs/common';
import { Redactor } from '../common/redact';
import { ConnectionInfo } from '../sources/connection-info';
import { BackupLock } from './backup-lock.interface';
import { advisoryLockId } from './lock-key';
import { LockUnavailableError } from './lock.errors';

interface PgClient {
  connect(): Promise<void>;
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): void;
}

/**
 * A PostgreSQL session-level advisory lock (pg_try_advisory_lock) on a connection of its own,
 * held for the whole job. The server frees it when that session ends, so a holder killed with
 * SIGKILL (or a machine that vanished) releases it as soon as its connection is gone.
 */
export class PostgresAdvisoryLock implements BackupLock {
  private readonly logger = new Logger('BackupLock');
  private readonly held = new Map<string, PgClient>();

  constructor(private readonly connection: ConnectionInfo) {}

  describe(): string {
    const c = this.connection;
    return `PostgreSQL advisory lock on ${c.host ?? 'localhost'}:${c.port ?? 5432}/${c.database}`;
  }

  async tryAcquire(key: string, _ttlMs: number): Promise<boolean> {
    if (this.held.has(key)) return false;
    const client = await this.connect();
    try {
      const { rows } = await client.query('SELECT pg_try_advisory_lock($1::bigint) AS got', [advisoryLockId(key)]);
      if (rows[0]?.got === true) {
        this.held.set(key, client);
        return true;
      }
    } catch (err) {
      await client.end().catch(() => undefined);
      throw this.unavailable(err);
    }
    await client.end().catch(() => undefined);
    return false;
  }

  async release(key: string): Promise<void> {
    const client = this.held.get(key);
    if (!client) return;
    this.held.delete(key);
    // Ending the session frees the lock even if the unlock query fails.
    await client.query('SELECT pg_advisory_unlock($1::bigint)', [advisoryLockId(key)]).catch(() => undefined);
    await client.end().catch(() => undefined);
  }

  private async connect(): Promise<PgClient> {
    let pg: { Client: new (config: object) => PgClient };
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      pg = require('pg');
    } catch {
      throw new LockUnavailableError('The PostgreSQL lock needs the "pg" package', 'Install pg (TypeORM\'s PostgreSQL driver) or supply another lock.');
    }
    const c = this.connection;
    const client = new pg.Client({
      host: c.host, port: c.port, user: c.username, password: c.password, database: c.database,
      application_name: 'nest-backup lock', connectionTimeoutMillis: 10_000,
    });
    // A dropped connection ends the session (and the lock); it must not crash the process.
    client.on('error', (err) => this.logger.warn(`Lock connection lost: ${this.redact(err)}`));
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw this.unavailable(err);
    }
    return client;
  }

  private unavailable(err: unknown): LockUnavailableError {
    return new LockUnavailableError(
      `Cannot take the ${this.describe()}: ${this.redact(err)}`,
      'Is the database server running? The job is skipped on this instance until it is.',
    );
  }

  private redact(err: unknown): string {
    return new Redactor([this.connection.password]).redact(err instanceof Error ? err.message : String(err));
  }
}
