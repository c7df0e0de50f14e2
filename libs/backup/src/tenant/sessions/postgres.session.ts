import type { Client } from 'pg';
import { finished, type Readable } from 'node:stream';
import { loadPg } from '../../common/optional-driver';
import { ConnectionInfo } from '../../sources/connection-info';
import { jsonRowsSelect } from './postgres-json.select';
import { LiveColumn, SqlSession } from './sql.session';

/** The tenant id travels as a transaction-local setting (COPY takes no bind parameters). */
const TENANT_SETTING = 'nest_backup.tenant';
const KEY_TYPES: Record<string, string> = { integer: 'integer', bigint: 'bigint', uuid: 'uuid', string: 'text' };

// Dates and times travel as the server's own text, so nothing shifts with the process's time zone.
const RAW_TEXT = new Set([1082, 1083, 1114, 1184, 1266, 20, 1700]);
const typeParsers = (types: ReturnType<typeof loadPg>['types']) => ({
  getTypeParser: ((oid: number, format?: string) =>
    RAW_TEXT.has(oid) ? (v: string) => v : types.getTypeParser(oid, format as 'text')) as typeof types.getTypeParser,
});

/** The application_name of a tenant export's or restore's PostgreSQL session. */
export const TENANT_SESSION_NAME = 'nest-backup tenant session';

/**
 * A COPY … TO STDOUT query and when the connection is free again: at the server's ReadyForQuery
 * (pg calls handleReadyForQuery on the query it submitted), which can come before the reader has
 * taken the last bytes, so the next table's query starts while this one is still compressed.
 */
function copyOut(sql: string): { query: ReturnType<typeof import('pg-copy-streams').to>; ready: Promise<void> } {
  // Loaded here, by a PostgreSQL tenant export, rather than by every process that loads the library.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const query = (require('pg-copy-streams') as typeof import('pg-copy-streams')).to(sql);
  const submitted = query as unknown as { handleReadyForQuery(...args: unknown[]): void };
  const handle = submitted.handleReadyForQuery.bind(query);
  const ready = new Promise<void>((resolve) => {
    submitted.handleReadyForQuery = (...args) => {
      handle(...args);
      resolve();
    };
  });
  return { query, ready };
}

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

  /** Settles when everything queued on the connection so far is done (a COPY: its stream ended or closed). */
  private tail: Promise<unknown> = Promise.resolve();

  /** The tenant id set in this transaction (set once, read by every table's COPY). */
  private tenantSetting: string | undefined;

  private constructor(private readonly client: Client) {}

  /**
   * Runs `op` on the connection after everything queued before it. Export queues every table at
   * once; pg 8 queues queries itself but warns that pg 9 will refuse a query while another runs.
   */
  private serial<T>(op: () => Promise<T>, doneWhen: (result: T) => Promise<unknown> = async () => undefined): Promise<T> {
    const run = this.tail.then(op);
    this.tail = run.then(doneWhen).catch(() => undefined);
    return run;
  }

  /** One query in its turn; refused then if a COPY before it was abandoned. */
  private run(sql: string, params: unknown[] = []) {
    return this.serial(async () => {
      this.assertUsable();
      return this.client.query(sql, params);
    });
  }

  static async open(c: ConnectionInfo): Promise<PostgresSession> {
    const pg = loadPg('Tenant export and restore on PostgreSQL');
    // Named, so pg_stat_activity shows the library's session apart from the app's own pool.
    const client = new pg.Client({
      host: c.host,
      port: c.port,
      user: c.username,
      password: c.password,
      database: c.database,
      application_name: TENANT_SESSION_NAME,
      types: typeParsers(pg.types),
    });
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
    return (await this.run(sql, params)).rows;
  }

  async execute(sql: string, params: unknown[] = []): Promise<number> {
    return (await this.run(sql, params)).rowCount ?? 0;
  }

  async *stream(sql: string, params: unknown[] = []): AsyncIterable<Record<string, unknown>> {
    const name = `nest_backup_cursor_${++this.cursors}`;
    await this.run(`DECLARE ${name} NO SCROLL CURSOR FOR ${sql}`, params);
    try {
      for (;;) {
        const { rows } = await this.run(`FETCH 1000 FROM ${name}`);
        if (rows.length === 0) break;
        yield* rows;
      }
    } finally {
      await this.run(`CLOSE ${name}`).catch(() => undefined);
    }
  }

  /**
   * The id goes in with set_config (a bound parameter, never SQL text) and the query reads it
   * with current_setting, a stable expression the planner still uses the tenant index for. CSV
   * with a delimiter and a quote JSON text never holds raw (control characters are escaped in
   * JSON) leaves each line exactly the JSON the server wrote.
   */
  async jsonLines(
    table: string,
    columns: LiveColumn[],
    condition: (tenantId: string) => string,
    id: string | number,
    keyType: string,
  ): Promise<Readable | undefined> {
    const cast = KEY_TYPES[keyType];
    if (!cast) return undefined;
    const select = jsonRowsSelect(table, columns, condition(`current_setting('${TENANT_SETTING}')::${cast}`), (n) => this.quote(n));
    if (!select) return undefined;
    const copy = await this.serial(
      async () => {
        this.assertUsable();
        if (this.tenantSetting !== String(id)) {
          await this.client.query('SELECT set_config($1, $2, true)', [TENANT_SETTING, String(id)]);
          this.tenantSetting = String(id);
        }
        const { query, ready } = copyOut(`COPY (${select}) TO STDOUT WITH (FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01')`);
        this.copy = this.client.query(query);
        return { stream: this.copy, ready };
      },
      // Abandoned, the COPY never gets to ReadyForQuery: the next in line then runs and is refused.
      ({ stream, ready }) => Promise.race([ready, new Promise<void>((resolve) => finished(stream, () => resolve()))]),
    );
    return copy.stream;
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
    this.tenantSetting = undefined; // set_config(…, true) lasts one transaction
    if (mode === 'write') return void (await this.run('BEGIN'));
    await this.run('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await this.run('SET LOCAL enable_seqscan = off');
  }

  async commit(): Promise<void> {
    await this.run('COMMIT');
  }

  async rollback(): Promise<void> {
    await this.serial(async () => {
      if (this.copyAbandoned) return; // close() ends the connection, and the transaction with it
      await this.client.query('ROLLBACK');
    });
  }

  async columns(table: string): Promise<LiveColumn[]> {
    return (await this.columnsOf([table])).get(table) ?? [];
  }

  /**
   * Read from pg_catalog with information_schema.columns' own definitions of data_type and
   * is_nullable (domains by their base type, arrays as ARRAY, other non-catalog types as
   * USER-DEFINED): the view costs a fresh connection 5-9 ms against 2 ms for this query.
   */
  async columnsOf(tables: string[]): Promise<Map<string, LiveColumn[]>> {
    const rows = await this.query(
      `SELECT c.relname AS table_name, a.attname AS column_name,
              NOT (a.attnotnull OR (t.typtype = 'd' AND t.typnotnull)) AS nullable,
              (a.atthasdef AND a.attgenerated = '') OR a.attidentity <> '' AS has_default,
              a.attgenerated <> '' AS generated,
              CASE WHEN t.typtype = 'd' THEN
                     CASE WHEN bt.typelem <> 0 AND bt.typlen = -1 THEN 'ARRAY'
                          WHEN bt.typnamespace = 'pg_catalog'::regnamespace THEN format_type(t.typbasetype, NULL)
                          ELSE 'USER-DEFINED' END
                   ELSE
                     CASE WHEN t.typelem <> 0 AND t.typlen = -1 THEN 'ARRAY'
                          WHEN t.typnamespace = 'pg_catalog'::regnamespace THEN format_type(a.atttypid, NULL)
                          ELSE 'USER-DEFINED' END
              END AS data_type
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_type t ON t.oid = a.atttypid
         LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
        WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'v', 'f', 'p') AND c.relname = ANY($1::text[])
          AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY c.relname, a.attnum`,
      [tables],
    );
    const out = new Map<string, LiveColumn[]>(tables.map((t) => [t, []]));
    for (const r of rows) {
      out.get(String(r.table_name))?.push({
        name: String(r.column_name),
        nullable: r.nullable === true,
        hasDefault: r.has_default === true,
        dataType: String(r.data_type),
        generated: r.generated === true,
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
