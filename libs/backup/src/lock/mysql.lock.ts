import { loadMysql } from '../common/optional-driver';
import { namedLockName } from './lock-key';
import { SessionLock } from './session.lock';

/** The part of mysql2's Connection the lock uses (typed here: mysql2 is an optional peer, kept out of the declarations). */
export interface MysqlLockSession {
  query(sql: string, params: unknown[]): Promise<[unknown, unknown]>;
  end(): Promise<void>;
  once(event: 'end', fn: () => void): unknown;
}

/** A MySQL / MariaDB named lock (GET_LOCK(name, 0): do not wait) held on its own connection. */
export class MysqlNamedLock extends SessionLock<MysqlLockSession> {
  describe(): string {
    const c = this.connection;
    return `${c.driver === 'mariadb' ? 'MariaDB' : 'MySQL'} GET_LOCK on ${c.host ?? 'localhost'}:${c.port ?? 3306}/${c.database}`;
  }

  protected async open(): Promise<MysqlLockSession> {
    const c = this.connection;
    const conn = await loadMysql('The MySQL/MariaDB backup lock').createConnection({
      host: c.host,
      port: c.port,
      user: c.username,
      password: c.password,
      database: c.database,
      connectTimeout: 10_000,
    });
    conn.on('error', this.lost);
    return conn;
  }

  protected async lock(conn: MysqlLockSession, key: string): Promise<boolean> {
    const [rows] = await conn.query('SELECT GET_LOCK(?, 0) AS got', [namedLockName(key)]);
    return Number((rows as Array<{ got: unknown }>)[0]?.got) === 1;
  }

  protected unlock(conn: MysqlLockSession, key: string): Promise<unknown> {
    return conn.query('SELECT RELEASE_LOCK(?)', [namedLockName(key)]);
  }
}
