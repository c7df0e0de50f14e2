import { Manifest } from '../archive';
import { ConnectionInfo } from '../sources/connection-info';
import { archivedDumps, pairDumps } from './dump.matcher';
import { RestoreRequestError } from './restore.errors';

const manifest = {
  entries: [
    { path: 'db-dumps/postgres-shop.sql', kind: 'database-dump', size: 1, sha256: '' },
    { path: 'db-dumps/sqlite-app.sql', kind: 'database-dump', size: 1, sha256: '' },
    { path: 'files/a.txt', kind: 'file', size: 1, sha256: '' },
  ],
  databases: [
    { driver: 'postgres', database: 'shop', tool: 'pg_dump', tables: { users: 2 } },
    { driver: 'sqlite', database: '/srv/app/data/app.sqlite', tool: 'sqlite', tables: { t: 1 } },
  ],
} as unknown as Manifest;

const pg = (database: string, name = 'default'): ConnectionInfo => ({ name, driver: 'postgres', database, host: 'h' });

describe('pairDumps', () => {
  const dumps = archivedDumps(manifest);

  it('finds each dump by driver and database (SQLite by file name)', () => {
    expect(dumps.map((d) => d.entry)).toEqual(['db-dumps/postgres-shop.sql', 'db-dumps/sqlite-app.sql']);
    const { pairs, skipped } = pairDumps(
      [pg('shop'), { name: 'lite', driver: 'sqlite', database: '/other/place/app.sqlite' }],
      dumps,
      false,
    );
    expect(pairs.map((p) => [p.connection.name, p.dump.entry])).toEqual([
      ['default', 'db-dumps/postgres-shop.sql'],
      ['lite', 'db-dumps/sqlite-app.sql'],
    ]);
    expect(skipped).toEqual([]);
  });

  it('pairs a single connection with the single dump of its driver even when names differ', () => {
    const { pairs, skipped } = pairDumps([pg('shop_staging')], dumps, true);
    expect(pairs.map((p) => p.dump.facts.database)).toEqual(['shop']);
    expect(skipped.map((s) => s.entry)).toEqual(['db-dumps/sqlite-app.sql']);
  });

  it('an explicitly named connection without a dump is an error naming what the backup holds', () => {
    const mysql: ConnectionInfo = { name: 'crm', driver: 'mysql', database: 'crm' };
    expect(() => pairDumps([mysql], dumps, true)).toThrow(RestoreRequestError);
    expect(() => pairDumps([mysql], dumps, true)).toThrow(/postgres "shop"/);
    expect(pairDumps([mysql], dumps, false).pairs).toEqual([]);
  });
});
