import type { Connection } from 'mysql2/promise';
import { loadMysql } from '../common/optional-driver';
import { namedLockName } from './lock-key';
import { SessionLock } from './session.lock';

/** A MySQL / MariaDB named lock (GET_LOCK(name, 0): do not wait) held on its own connection. */
export class MysqlNamedLock extends SessionLock<Connection> {
  describe(): string {
    const c = this.connection;
    return `${c.driver === 'mariadb' ? 'MariaDB' : 'MySQL'} GET_LOCK on ${c.host ?? 'localhost'}:${c.port ?? 3306}/${c.database}`;
  }

  protected async open(): Promise<Connection> {
    const c = this.connection;
    const conn = await loadMysql('The MySQL/MariaDB backup lock').createConnection({
      host: c.host, port: c.port, user: c.username, password: c.password, database: c.database, connectTimeout: 10_000,
    });
    conn.on('error', this.lost);
    return conn;
  }

  protected async lock(conn: Connection, key: string): Promise<boolean> {
    const [rows] = await conn.query('SELECT GET_LOCK(?, 0) AS got', [namedLockName(key)]);
    return Number((rows as Array<{ got: unknown }>)[0]?.got) === 1;
  }

  protected unlock(conn: Connection, key: string): Promise<unknown> {
    return conn.query('SELECT RELEASE_LOCK(?)', [namedLockName(key)]);
  }
}
