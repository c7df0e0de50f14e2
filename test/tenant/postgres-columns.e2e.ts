/**
 * The PostgreSQL session reads a table's columns from pg_catalog (information_schema.columns is
 * several times slower on a fresh connection), so it must describe them exactly as the view
 * does: the type names the JSON encoders and the restore key on, nullability, defaults,
 * identity and generated columns.
 */
import { PostgresSession } from '../../libs/backup/src/tenant/sessions/postgres.session';
import { LiveColumn } from '../../libs/backup/src/tenant/sessions/sql.session';
import { createTestDatabase, runSql, TestDatabase } from '../support/databases';

describe('PostgreSQL live columns', () => {
  let db: TestDatabase;
  let session: PostgresSession;

  beforeAll(async () => {
    db = await createTestDatabase('postgres', 'columns');
    await runSql(
      db.connection,
      `CREATE TYPE mood AS ENUM ('happy', 'sad');
       CREATE DOMAIN positive AS integer NOT NULL CHECK (VALUE > 0);
       CREATE DOMAIN labels AS text[];
       CREATE DOMAIN feeling AS mood;
       CREATE EXTENSION IF NOT EXISTS citext;
       CREATE TABLE kinds (
         id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         serial_id serial,
         big bigint DEFAULT 7, num numeric(10, 2), r real, d double precision, b boolean NOT NULL DEFAULT false,
         t text, v varchar(40), c char(6), u uuid, m mood, f feeling, p positive, l labels, ci citext,
         day date, ts timestamp(3), tstz timestamptz, tm time, tmtz timetz, iv interval,
         j json, jb jsonb, bin bytea, tags text[], grid integer[][],
         twice integer GENERATED ALWAYS AS (p * 2) STORED);
       ALTER TABLE kinds DROP COLUMN u;
       CREATE TABLE other (id integer PRIMARY KEY);`,
    );
    session = await PostgresSession.open(db.connection);
  });

  afterAll(async () => {
    await session?.close();
    await db?.drop();
  });

  it('describes every column as information_schema.columns does, in column order, dropped columns left out', async () => {
    const view = await runSql(
      db.connection,
      `SELECT table_name, column_name, is_nullable, column_default, is_identity, is_generated, data_type FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name IN ('kinds', 'other') ORDER BY table_name, ordinal_position`,
    );
    const expected = (table: string): LiveColumn[] =>
      view
        .filter((r) => r.table_name === table)
        .map((r) => ({
          name: String(r.column_name),
          nullable: r.is_nullable === 'YES',
          hasDefault: r.column_default !== null || r.is_identity === 'YES',
          dataType: String(r.data_type),
          generated: r.is_generated === 'ALWAYS',
        }));
    const live = await session.columnsOf(['kinds', 'other', 'missing']);
    expect(live.get('kinds')).toEqual(expected('kinds'));
    expect(live.get('other')).toEqual(expected('other'));
    expect(live.get('missing')).toEqual([]);
    // What the view says, spelled out for the columns the export and the restore treat apart.
    const kinds = new Map(live.get('kinds')!.map((c) => [c.name, c]));
    expect(kinds.has('u')).toBe(false);
    expect(kinds.get('id')).toMatchObject({ hasDefault: true, nullable: false, generated: false });
    expect(kinds.get('twice')).toMatchObject({ generated: true, hasDefault: false });
    expect(kinds.get('p')).toMatchObject({ dataType: 'integer', nullable: false });
    expect(kinds.get('l')!.dataType).toBe('ARRAY');
    expect(kinds.get('f')!.dataType).toBe('USER-DEFINED');
    expect(kinds.get('ci')!.dataType).toBe('USER-DEFINED');
    expect(kinds.get('ts')!.dataType).toBe('timestamp without time zone');
    expect(kinds.get('v')!.dataType).toBe('character varying');
  });
});
