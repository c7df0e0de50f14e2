import type { Client } from 'pg';
import { loadPg } from '../common/optional-driver';
import { ConnectionInfo } from '../sources/connection-info';
import { LiveColumn, SqlSession } from './sql.session';

// Dates and times travel as the server's own text, so nothing shifts with the process's time zone.
const RAW_TEXT = new Set([1082, 1083, 1114, 1184, 1266, 20, 1700]);
const typeParsers = (types: ReturnType<typeof loadPg>['types']) => ({
  getTypeParser: ((oid: number, format?: string) => (RAW_TEXT.has(oid) ? (v: string) => v : types.getTypeParser(oid, format as 'text'))) as typeof types.getTypeParser,
});

export class PostgresSession implements SqlSession {
  readonly driver = 'postgres' as const;
  private cursors = 0;

  private constructor(private readonly client: Client) {}

  static async open(c: ConnectionInfo): Promise<PostgresSession> {
    const pg = loadPg('Tenant export and restore on PostgreSQL');
    const client = new pg.Client({ host: c.host, port: c.port, user: c.username, password: c.password, database: c.database, types: typeParsers(pg.types) });
    await client.connect();
    return new PostgresSession(client);
  }

  quote(identifier: string): string {
    return `"${identifier.replace(/"/g, '""')}"`;
  }

  placeholder(n: number): string {
    return `$${n}`;
  }

  async query(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    return (await this.client.query(sql, params)).rows;
  }

  async execute(sql: string, params: unknown[] = []): Promise<number> {
    return (await this.client.query(sql, params)).rowCount ?? 0;
  }

  async *stream(sql: string, params: unknown[] = []): AsyncIterable<Record<string, unknown>> {
    const name = `nest_backup_cursor_${++this.cursors}`;
    await this.client.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${sql}`, params);
    try {
      for (;;) {
        const { rows } = await this.client.query(`FETCH 1000 FROM ${name}`);
        if (rows.length === 0) break;
        yield* rows;
      }
    } finally {
      await this.client.query(`CLOSE ${name}`).catch(() => undefined);
    }
  }

  async begin(mode: 'read' | 'write'): Promise<void> {
    await this.client.query(mode === 'read' ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
  }

  async commit(): Promise<void> {
    await this.client.query('COMMIT');
  }

  async rollback(): Promise<void> {
    await this.client.query('ROLLBACK');
  }

  async columns(table: string): Promise<LiveColumn[]> {
    return (await this.columnsOf([table])).get(table) ?? [];
  }

  async columnsOf(tables: string[]): Promise<Map<string, LiveColumn[]>> {
    const rows = await this.query(
      `SELECT table_name, column_name, is_nullable, column_default, is_identity, is_generated, data_type FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = ANY($1::text[]) ORDER BY table_name, ordinal_position`,
      [tables],
    );
    const out = new Map<string, LiveColumn[]>(tables.map((t) => [t, []]));
    for (const r of rows) {
      out.get(String(r.table_name))?.push({
        name: String(r.column_name),
        nullable: r.is_nullable === 'YES',
        hasDefault: r.column_default !== null || r.is_identity === 'YES',
        dataType: String(r.data_type),
        generated: r.is_generated === 'ALWAYS',
      });
    }
    return out;
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}
