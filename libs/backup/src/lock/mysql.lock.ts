import { Logger } from '@nestjs/common';
import { Redactor } from '../common/redact';
import { ConnectionInfo } from '../sources/connection-info';
import { BackupLock } from './backup-lock.interface';
import { namedLockName } from './lock-key';
import { LockUnavailableError } from './lock.errors';

interface MysqlConnection {
  query(sql: string, params?: unknown[]): Promise<[unknown, unknown]>;
  end(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): void;
}

/**
 * A MySQL / MariaDB named lock (GET_LOCK(name, 0): do not wait) on a connection of its own,
 * held for the whole job. The server frees it when that connection ends, so a killed holder
 * never keeps it.
 */
export class MysqlNamedLock implements BackupLock {
  private readonly logger = new Logger('BackupLock');
  private readonly held = new Map<string, MysqlConnection>();

  constructor(private readonly connection: ConnectionInfo) {}

  describe(): string {
    const c = this.connection;
    return `${c.driver === 'mariadb' ? 'MariaDB' : 'MySQL'} GET_LOCK on ${c.host ?? 'localhost'}:${c.port ?? 3306}/${c.database}`;
  }

  async tryAcquire(key: string, _ttlMs: number): Promise<boolean> {
    if (this.held.has(key)) return false;
    const conn = await this.connect();
    try {
      const [rows] = await conn.query('SELECT GET_LOCK(?, 0) AS got', [namedLockName(key)]);
      if (Number((rows as Array<{ got: unknown }>)[0]?.got) === 1) {
        this.held.set(key, conn);
        return true;
      }
    } catch (err) {
      await conn.end().catch(() => undefined);
      throw this.unavailable(err);
    }
    await conn.end().catch(() => undefined);
    return false;
  }

  async release(key: string): Promise<void> {
    const conn = this.held.get(key);
    if (!conn) return;
    this.held.delete(key);
    await conn.query('SELECT RELEASE_LOCK(?)', [namedLockName(key)]).catch(() => undefined);
    await conn.end().catch(() => undefined);
  }

  private async connect(): Promise<MysqlConnection> {
    let mysql: { createConnection(config: object): Promise<MysqlConnection> };
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mysql = require('mysql2/promise');
    } catch {
      throw new LockUnavailableError('The MySQL/MariaDB lock needs the "mysql2" package', 'Install mysql2 (TypeORM\'s MySQL driver) or supply another lock.');
    }
    const c = this.connection;
    try {
      const conn = await mysql.createConnection({
        host: c.host, port: c.port, user: c.username, password: c.password, database: c.database, connectTimeout: 10_000,
      });
      conn.on('error', (err) => this.logger.warn(`Lock connection lost: ${this.redact(err)}`));
      return conn;
    } catch (err) {
      throw this.unavailable(err);
    }
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
