import { tenantCondition } from '../scope/scope.sql';
import { encodeRow } from './tenant-data.codec';
import { LiveColumn, SqlSession } from '../sessions/sql.session';
import { TenantConfigError, UnknownTenantError } from '../tenant.errors';
import { TenantScope } from '../scope/tenant.scope';

/** Rejects an id with no row in the tenant table (the error names the tenant table). */
export async function assertTenantExists(session: SqlSession, scope: TenantScope, id: unknown, where: string): Promise<void> {
  const { table, column } = scope.key;
  const rows = await session.query(
    `SELECT 1 AS found FROM ${session.quote(table)} WHERE ${session.quote(column)} = ${session.placeholder(1)}`,
    [id],
  );
  if (rows.length === 0) {
    throw new UnknownTenantError(
      `There is no tenant ${JSON.stringify(String(id))} in ${table}.${column} of ${where}`,
      'Check the id (backup:tenants lists the scoped tables); nothing was changed.',
    );
  }
}

/** The live columns of every scoped table; a table missing from the database is a configuration error. */
export async function liveColumns(session: SqlSession, scope: TenantScope): Promise<Map<string, LiveColumn[]>> {
  const out = new Map<string, LiveColumn[]>();
  const tables = scope.tables.map((t) => t.table);
  const all = session.columnsOf ? await session.columnsOf(tables) : undefined;
  for (const table of tables) {
    const columns = all?.get(table) ?? (await session.columns(table));
    if (columns.length === 0) {
      throw new TenantConfigError(
        `The tenant-scoped table "${table}" is in the entity metadata but not in the database`,
        'Run the migrations, or fix the entities.',
      );
    }
    out.set(table, columns);
  }
  return out;
}

/** One tenant's rows of `table` (the selected columns), streamed. */
export function selectTenantRows(
  session: SqlSession,
  scope: TenantScope,
  table: string,
  columns: string[],
  id: unknown,
): AsyncIterable<Record<string, unknown>> {
  const list = columns.map((c) => `${session.quote(table)}.${session.quote(c)}`).join(', ');
  return session.stream(`SELECT ${list} FROM ${session.quote(table)} WHERE ${tenantCondition(scope, table, session)}`, [id]);
}

/**
 * One tenant's rows of `table` as JSON Lines: written by the database server where the session
 * can (PostgreSQL, see SqlSession.jsonLines), else row by row with encodeRow. `counter.rows`
 * is final when the stream has ended.
 */
export async function* tenantJsonLines(
  session: SqlSession,
  scope: TenantScope,
  table: string,
  columns: LiveColumn[],
  id: unknown,
  counter: { rows: number },
): AsyncIterable<Buffer> {
  const names = columns.map((c) => c.name);
  const server = await session.jsonLines?.(
    table,
    columns,
    (param) => tenantCondition(scope, table, { quote: (n) => session.quote(n), placeholder: () => param }),
    id as string | number,
    scope.key.type,
  );
  if (server) {
    for await (const chunk of server as AsyncIterable<Buffer>) {
      for (let at = chunk.indexOf(NL); at >= 0; at = chunk.indexOf(NL, at + 1)) counter.rows++;
      yield chunk;
    }
    return;
  }
  let batch = '';
  for await (const row of selectTenantRows(session, scope, table, names, id)) {
    batch += encodeRow(row, names);
    counter.rows++;
    if (batch.length >= 64 * 1024) {
      yield Buffer.from(batch);
      batch = '';
    }
  }
  if (batch) yield Buffer.from(batch);
}

const NL = 0x0a;

export async function countTenantRows(session: SqlSession, scope: TenantScope, table: string, id: unknown): Promise<number> {
  const [row] = await session.query(`SELECT COUNT(*) AS n FROM ${session.quote(table)} WHERE ${tenantCondition(scope, table, session)}`, [
    id,
  ]);
  return Number(row.n);
}

export async function countAllRows(session: SqlSession, table: string): Promise<number> {
  const [row] = await session.query(`SELECT COUNT(*) AS n FROM ${session.quote(table)}`);
  return Number(row.n);
}

/** Every tenant id in the tenant table, in key order (no value enters the SQL text). */
export async function listTenantIds(session: SqlSession, scope: TenantScope): Promise<string[]> {
  const { table, column } = scope.key;
  const rows = await session.query(`SELECT ${session.quote(column)} AS id FROM ${session.quote(table)} ORDER BY ${session.quote(column)}`);
  return rows.map((r) => String(r.id));
}
