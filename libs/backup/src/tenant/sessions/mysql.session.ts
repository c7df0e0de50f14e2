import type { Connection } from 'mysql2';
import { optionalDriver } from '../../common/optional-driver';
import { ConnectionInfo } from '../../sources/connection-info';
import { LiveColumn, SqlSession } from './sql.session';

export class MysqlSession implements SqlSession {
  readonly driver: 'mysql' | 'mariadb';

  private constructor(
    private readonly conn: Connection,
    driver: 'mysql' | 'mariadb',
  ) {
    this.driver = driver;
  }

  static async open(c: ConnectionInfo): Promise<MysqlSession> {
    // Dates as the server's text, big numbers as strings: values round-trip unchanged.
    const { createConnection } = optionalDriver<typeof import('mysql2')>('mysql2', 'Tenant export and restore on MySQL/MariaDB');
    const conn = createConnection({
      host: c.host,
      port: c.port,
      user: c.username,
      password: c.password,
      database: c.database,
      charset: 'utf8mb4',
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      decimalNumbers: false,
    });
    await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
    return new MysqlSession(conn, c.driver === 'mysql' ? 'mysql' : 'mariadb');
  }

  quote(identifier: string): string {
    return `\`${identifier.replace(/`/g, '``')}\``;
  }

  placeholder(): string {
    return '?';
  }

  query(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    return new Promise((resolve, reject) =>
      this.conn.query(sql, params, (err, rows) =>
        err ? reject(err) : resolve(Array.isArray(rows) ? (rows as Record<string, unknown>[]) : []),
      ),
    );
  }

  execute(sql: string, params: unknown[] = []): Promise<number> {
    return new Promise((resolve, reject) =>
      this.conn.query(sql, params, (err, result) =>
        err ? reject(err) : resolve(Number((result as { affectedRows?: number }).affectedRows ?? 0)),
      ),
    );
  }

  async *stream(sql: string, params: unknown[] = []): AsyncIterable<Record<string, unknown>> {
    // The query stream pauses the connection while the consumer is behind.
    yield* this.conn.query(sql, params).stream({ highWaterMark: 500 }) as AsyncIterable<Record<string, unknown>>;
  }

  async begin(mode: 'read' | 'write'): Promise<void> {
    await this.execute(mode === 'read' ? 'START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY' : 'START TRANSACTION');
  }

  async commit(): Promise<void> {
    await this.execute('COMMIT');
  }

  async rollback(): Promise<void> {
    await this.execute('ROLLBACK');
  }

  async columns(table: string): Promise<LiveColumn[]> {
    const rows = await this.query(
      `SELECT COLUMN_NAME AS name, IS_NULLABLE AS nullable, COLUMN_DEFAULT AS def, EXTRA AS extra, DATA_TYPE AS type
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
      [table],
    );
    return rows.map((r) => ({
      name: String(r.name),
      nullable: r.nullable === 'YES',
      hasDefault: r.def !== null || /auto_increment|GENERATED/i.test(String(r.extra ?? '')),
      dataType: String(r.type),
      generated: /VIRTUAL|STORED/i.test(String(r.extra ?? '')),
    }));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.conn.end(() => resolve()));
  }
}
