import type { Client } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Readable } from 'node:stream';
import { loadPg } from '../common/optional-driver';
import { ConnectionInfo } from '../sources/connection-info';
import { jsonRowsSelect } from './postgres-json.select';
import { LiveColumn, SqlSession } from './sql.session';

/** The tenant id travels as a transaction-local setting (COPY takes no bind parameters). */
const TENANT_SETTING = 'nest_backup.tenant';
const KEY_TYPES: Record<string, string> = { integer: 'integer', bigint: 'bigint', uuid: 'uuid', string: 'text' };

// Dates and times travel as the server's own text, so nothing shifts with the process's time zone.
const RAW_TEXT = new Set([1082, 1083, 1114, 1184, 1266, 20, 1700]);
const typeParsers = (types: ReturnType<typeof loadPg>['types']) => ({
  getTypeParser: ((oid: number, format?: string) => (RAW_TEXT.has(oid) ? (v: string) => v : types.getTypeParser(oid, format as 'text'))) as typeof types.getTypeParser,
});

export class PostgresSession implements SqlSession {
  readonly driver = 'postgres' as const;
  private cursors = 0;
  /**
   * A COPY stream closed before its end (its consumer failed or stopped) leaves the connection
   * in the middle of the COPY: any further query on it would wait forever (measured: a
   * ROLLBACK after breaking out of a COPY never returned). The session then only closes the
   * connection, which also ends the read-only transaction on the server.
   */
  private copy: Readable | undefined;

  private get copyAbandoned(): boolean {
    return this.copy !== undefined && this.copy.destroyed && !this.copy.readableEnded;
  }

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
    this.assertUsable();
    return (await this.client.query(sql, params)).rows;
  }

  async execute(sql: string, params: unknown[] = []): Promise<number> {
    this.assertUsable();
    return (await this.client.query(sql, params)).rowCount ?? 0;
  }

  async *stream(sql: string, params: unknown[] = []): AsyncIterable<Record<string, unknown>> {
    this.assertUsable();
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

  /**
   * The id goes in with set_config (a bound parameter, never SQL text) and the query reads it
   * with current_setting, a stable expression the planner still uses the tenant index for. CSV
   * with a delimiter and a quote JSON text never holds raw (control characters are escaped in
   * JSON) leaves each line exactly the JSON the server wrote.
   */
  async jsonLines(table: string, columns: LiveColumn[], condition: (tenantId: string) => string, id: string | number, keyType: string): Promise<Readable | undefined> {
    this.assertUsable();
    const cast = KEY_TYPES[keyType];
    if (!cast) return undefined;
    const select = jsonRowsSelect(table, columns, condition(`current_setting('${TENANT_SETTING}')::${cast}`), (n) => this.quote(n));
    if (!select) return undefined;
    await this.client.query('SELECT set_config($1, $2, true)', [TENANT_SETTING, String(id)]);
    this.copy = this.client.query(copyTo(`COPY (${select}) TO STDOUT WITH (FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01')`));
    return this.copy;
  }

  /**
   * A read transaction reads one tenant's rows, so it asks the planner for the tenant indexes:
   * for a tenant with ~1% of the rows the estimates sit close to where a full scan looks
   * cheaper (measured: a child table reached through its foreign key, 2M rows, went from 22 ms
   * by index to 225 ms by a parallel seq scan and hash join for the next tenant id), and one
   * full scan costs what the whole backup costs. A table with no usable index is still read
   * (by a full scan); a freshly loaded scratch database without statistics gets the same help.
   */
  async begin(mode: 'read' | 'write'): Promise<void> {
    if (mode === 'write') return void (await this.client.query('BEGIN'));
    await this.client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await this.client.query('SET LOCAL enable_seqscan = off');
  }

  async commit(): Promise<void> {
    this.assertUsable();
    await this.client.query('COMMIT');
  }

  async rollback(): Promise<void> {
    if (this.copyAbandoned) return; // close() ends the connection, and the transaction with it
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

  private assertUsable(): void {
    if (this.copyAbandoned) throw new Error('the PostgreSQL session was left in the middle of a COPY and can only be closed');
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}
