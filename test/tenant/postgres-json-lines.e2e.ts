/**
 * The PostgreSQL tenant export writes JSON Lines on the server (COPY of row_to_json) instead of
 * encoding rows in Node. Both must give the same values for every column type the server path
 * handles, on the real server, awkward values included; other types keep the row-by-row path.
 */
import { PostgresSession } from '../../libs/backup/src/tenant/sessions/postgres.session';
import { liveColumns, tenantJsonLines } from '../../libs/backup/src/tenant/export/tenant-rows';
import { buildTenantScope } from '../../libs/backup/src/tenant/scope/tenant.scope';
import { TableModel } from '../../libs/backup/src/tenant/scope/table.model';
import { SqlSession } from '../../libs/backup/src/tenant/sessions/sql.session';
import { AWKWARD, createTestDatabase, runSql, TestDatabase } from '../support/databases';

const models: TableModel[] = [
  { name: 'tenants', entityName: 'Tenant', columns: [{ name: 'id', type: 'integer', primary: true }], foreignKeys: [] },
  {
    name: 'things',
    columns: [
      { name: 'id', type: 'integer', primary: true },
      { name: 'tenant_id', type: 'integer' },
    ],
    foreignKeys: [{ columns: ['tenant_id'], table: 'tenants', referencedColumns: ['id'] }],
  },
  {
    name: 'parts',
    columns: [
      { name: 'id', type: 'integer', primary: true },
      { name: 'thing_id', type: 'integer' },
    ],
    foreignKeys: [{ columns: ['thing_id'], table: 'things', referencedColumns: ['id'] }],
  },
  {
    name: 'bulk',
    columns: [
      { name: 'id', type: 'integer', primary: true },
      { name: 'tenant_id', type: 'integer' },
    ],
    foreignKeys: [{ columns: ['tenant_id'], table: 'tenants', referencedColumns: ['id'] }],
  },
  {
    name: 'tagged',
    columns: [
      { name: 'id', type: 'integer', primary: true },
      { name: 'tenant_id', type: 'integer' },
    ],
    foreignKeys: [{ columns: ['tenant_id'], table: 'tenants', referencedColumns: ['id'] }],
  },
];

/** The tenant's rows of `table` through tenantJsonLines, by the server's COPY or (serverSide false) row by row. */
async function lines(
  session: PostgresSession,
  table: string,
  serverSide: boolean,
): Promise<{ rows: unknown[]; counted: number; copied: boolean }> {
  const scope = buildTenantScope(models);
  const columns = (await liveColumns(session, scope)).get(table)!;
  const counter = { rows: 0 };
  let copied = false;
  // The row-by-row path is what a session without jsonLines (MySQL, SQLite) takes.
  const jsonLines: SqlSession['jsonLines'] = serverSide
    ? async (...args) => {
        const stream = await session.jsonLines(...args);
        copied = stream !== undefined;
        return stream;
      }
    : undefined;
  const via: SqlSession = Object.assign(Object.create(Object.getPrototypeOf(session)), session, { jsonLines });
  const parts: Buffer[] = [];
  for await (const chunk of tenantJsonLines(via, scope, table, columns, 1, counter)) parts.push(chunk);
  const text = Buffer.concat(parts).toString('utf8');
  return {
    rows: text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l)),
    counted: counter.rows,
    copied,
  };
}

describe('PostgreSQL tenant rows as JSON Lines written by the server', () => {
  let db: TestDatabase;
  let session: PostgresSession;

  beforeAll(async () => {
    db = await createTestDatabase('postgres', 'jsonlines');
    await runSql(
      db.connection,
      `CREATE TYPE mood AS ENUM ('happy', 'sad');
       CREATE TABLE tenants (id integer PRIMARY KEY);
       CREATE TABLE things (
         id integer PRIMARY KEY, tenant_id integer NOT NULL REFERENCES tenants(id),
         s smallint, i integer, big bigint, num numeric, r real, d double precision, b boolean,
         t text, v varchar(40), c char(6), u uuid, m mood,
         day date, ts timestamp, tstz timestamptz, tm time, tmtz timetz,
         j json, jb jsonb, bin bytea);
       CREATE TABLE parts (id integer PRIMARY KEY, thing_id integer NOT NULL REFERENCES things(id), label text);
       CREATE TABLE bulk AS SELECT g AS id, 1 AS tenant_id, md5(g::text) AS note FROM generate_series(1, 200000) g;
       CREATE TABLE tagged (id integer PRIMARY KEY, tenant_id integer NOT NULL REFERENCES tenants(id), tags text[]);
       INSERT INTO tenants VALUES (1), (2);`,
    );
    const values = (id: number, tenant: number, text: string) => [
      id,
      tenant,
      -32768,
      2147483647,
      '9007199254740993',
      '123456789012345678901234567890.000000001',
      1.5,
      0.1,
      id % 2 === 0,
      text,
      text.slice(0, 40),
      'ab',
      '6f1c3f4e-8d2a-4b1e-9c3d-2a1b0c9d8e7f',
      'sad',
      '2026-02-28',
      '2026-02-28 13:14:15.123456',
      '2026-02-28 13:14:15+02',
      '23:59:59',
      '10:00:00+05:30',
      JSON.stringify({ text, n: [1, 2, { deep: null }] }),
      JSON.stringify({ text, z: 1, a: 'x' }),
      Buffer.from([0, 1, 2, 255, 10, 13, ...Buffer.from(text)]),
    ];
    let id = 1;
    for (const text of AWKWARD) {
      for (const tenant of [1, 2]) {
        await runSql(
          db.connection,
          `INSERT INTO things VALUES (${Array.from({ length: 22 }, (_, i) => `$${i + 1}`).join(', ')})`,
          values(id++, tenant, text),
        );
      }
    }
    await runSql(db.connection, `INSERT INTO things (id, tenant_id) VALUES (1000, 1)`); // every other column NULL
    await runSql(
      db.connection,
      `INSERT INTO things (id, tenant_id, r, d, big) VALUES (1001, 1, 'NaN', '-Infinity', '-9223372036854775808')`,
    );
    await runSql(db.connection, `INSERT INTO parts SELECT t.id * 10, t.id, t.t FROM things t`);
    await runSql(db.connection, `INSERT INTO tagged VALUES (1, 1, ARRAY['a', 'b']), (2, 2, ARRAY['c'])`);
    session = await PostgresSession.open(db.connection);
    await session.begin('read');
  });

  afterAll(async () => {
    await session?.close();
    await db?.drop();
  });

  it('gives the same values as the row-by-row encoding for every column type it handles, NULLs and awkward text included', async () => {
    const server = await lines(session, 'things', true);
    const node = await lines(session, 'things', false);
    expect(server.copied).toBe(true);
    expect(node.copied).toBe(false);
    expect(server.rows.length).toBe(AWKWARD.length + 2);
    expect(server.counted).toBe(server.rows.length);
    expect(node.counted).toBe(node.rows.length);
    const byId = (rows: unknown[]) => [...rows].sort((a, b) => (a as { id: number }).id - (b as { id: number }).id);
    expect(byId(server.rows)).toEqual(byId(node.rows));
    // Spot checks of what a restore depends on.
    const nulls = server.rows.find((r) => (r as { id: number }).id === 1000) as Record<string, unknown>;
    expect(Object.values(nulls).filter((v) => v === null).length).toBe(20);
    const odd = server.rows.find((r) => (r as { id: number }).id === 1001) as Record<string, unknown>;
    expect([odd.r, odd.d, odd.big]).toEqual(['NaN', '-Infinity', '-9223372036854775808']);
    const first = server.rows[0] as Record<string, unknown>;
    expect(first.c).toBe('ab    '); // char(n) keeps its padding
    expect(first.big).toBe('9007199254740993'); // beyond 2^53: a string, exact
    expect(Buffer.from((first.bin as { $base64: string }).$base64, 'base64').subarray(0, 6)).toEqual(Buffer.from([0, 1, 2, 255, 10, 13]));
  });

  it('reaches rows through foreign keys (parts -> things -> tenant) and reads only that tenant', async () => {
    const server = await lines(session, 'parts', true);
    const node = await lines(session, 'parts', false);
    expect(server.copied).toBe(true);
    expect(server.rows).toHaveLength(AWKWARD.length + 2);
    expect(server.rows).toEqual(expect.arrayContaining(node.rows));
    expect(node.rows).toEqual(expect.arrayContaining(server.rows));
  });

  it('leaves a table with a type it has no encoding for (an array) to the row-by-row path', async () => {
    const scope = buildTenantScope(models);
    const columns = (await liveColumns(session, scope)).get('tagged')!;
    expect(await session.jsonLines('tagged', columns, () => 'true', 1, 'integer')).toBeUndefined();
    const tagged = await lines(session, 'tagged', true);
    expect(tagged.copied).toBe(false);
    expect(tagged.rows).toEqual([{ id: 1, tenant_id: 1, tags: { $json: ['a', 'b'] } }]);
  });

  it('serves tables queued at once one after the other on its one connection, never a query while another runs (pg 9 refuses that)', async () => {
    const own = await PostgresSession.open(db.connection);
    // What pg 8 warns about and pg 9 refuses: a query submitted while the connection is busy.
    const client = (own as unknown as { client: { query: (...args: unknown[]) => unknown; _activeQuery: unknown; _queryQueue: unknown[] } })
      .client;
    const submit = client.query.bind(client);
    const overlapping: string[] = [];
    client.query = (...args: unknown[]) => {
      if (client._activeQuery || client._queryQueue.length > 0)
        overlapping.push(String((args[0] as { text?: string }).text ?? args[0]).slice(0, 40));
      return submit(...args);
    };
    try {
      await own.begin('read');
      const scope = buildTenantScope(models);
      const columns = await liveColumns(own, scope);
      // As the export does: every table's rows asked for at once, each read as it comes.
      const read = async (table: string) => {
        const counter = { rows: 0 };
        for await (const chunk of tenantJsonLines(own, scope, table, columns.get(table)!, 1, counter))
          expect(chunk.length).toBeGreaterThan(0);
        return counter.rows;
      };
      expect(await Promise.all([read('bulk'), read('things'), read('parts')])).toEqual([200000, AWKWARD.length + 2, AWKWARD.length + 2]);
      await own.commit();
    } finally {
      await own.close();
    }
    expect(overlapping).toEqual([]);
  });

  it('a COPY abandoned half-way (the archive failed) leaves a session that rolls back and closes at once instead of hanging', async () => {
    const own = await PostgresSession.open(db.connection);
    await own.begin('read');
    const scope = buildTenantScope(models);
    const columns = (await liveColumns(own, scope)).get('bulk')!;
    let read = 0;
    for await (const chunk of tenantJsonLines(own, scope, 'bulk', columns, 1, { rows: 0 })) {
      read += chunk.length;
      break; // as when the writer aborts and destroys the entry's source
    }
    expect(read).toBeGreaterThan(0);
    await expect(own.query('SELECT 1')).rejects.toThrow(/middle of a COPY/);
    const settled = await Promise.race([
      own
        .rollback()
        .then(() => own.close())
        .then(() => 'closed'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting after 5 s'), 5000)),
    ]);
    expect(settled).toBe('closed');
  });
});
