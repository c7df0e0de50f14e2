import { loadPg } from '../common/optional-driver';
import { advisoryLockId } from './lock-key';
import { SessionLock } from './session.lock';

/** The part of pg's Client the lock uses (typed here: pg is an optional peer, kept out of the declarations). */
export interface PgLockSession {
  query(sql: string, params: unknown[]): Promise<{ rows: Array<{ got?: unknown }> }>;
  end(): Promise<void>;
  once(event: 'end', fn: () => void): unknown;
}

/** A PostgreSQL session-level advisory lock (pg_try_advisory_lock) held on its own connection. */
export class PostgresAdvisoryLock extends SessionLock<PgLockSession> {
  describe(): string {
    const c = this.connection;
    return `PostgreSQL advisory lock on ${c.host ?? 'localhost'}:${c.port ?? 5432}/${c.database}`;
  }

  protected async open(): Promise<PgLockSession> {
    const c = this.connection;
    const client = new (loadPg('The PostgreSQL backup lock').Client)({
      host: c.host,
      port: c.port,
      user: c.username,
      password: c.password,
      database: c.database,
      application_name: 'nest-backup lock',
      connectionTimeoutMillis: 10_000,
    });
    client.on('error', this.lost);
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    return client;
  }

  protected async lock(client: PgLockSession, key: string): Promise<boolean> {
    const { rows } = await client.query('SELECT pg_try_advisory_lock($1::bigint) AS got', [advisoryLockId(key)]);
    return rows[0]?.got === true;
  }

  protected unlock(client: PgLockSession, key: string): Promise<unknown> {
    return client.query('SELECT pg_advisory_unlock($1::bigint)', [advisoryLockId(key)]);
  }
}
