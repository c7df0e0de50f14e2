import { execFileSync } from 'node:child_process';
import { ADMIN, runSql } from '../../test/support/databases';
import { PG_DUMP_FLAGS, PG_ENV } from '../pipeline/dataset';
import { RestoreEngine, RestoreShape } from './engine';

const PG = ADMIN.postgres;

/**
 * The PostgreSQL shapes of the restore bench:
 * - `indexed`: one table of 3.5 M rows with a bigint primary key and a secondary index on
 *   (tenant_id, created_at), ~395 MB of plain dump (the shape issue 20 measured 1.69× on);
 * - `pgbench`: `pgbench -i -s 40` (4 M accounts rows with pgbench's primary keys), ~390 MB.
 */
export const postgresEngine: RestoreEngine = {
  name: 'postgres',
  shapes: ['indexed', 'pgbench'],
  async ensure(shape: RestoreShape, log) {
    const database = `nbrestore_${shape}`;
    const marker = await runSql(PG, 'SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (marker.length === 1) {
      const done = await runSql({ ...PG, database }, "SELECT 1 FROM pg_class WHERE relname = 'nb_bench_ready'");
      if (done.length === 1) return { database, dbUrl: url(database) };
    }
    log(`Generating PostgreSQL database ${database} (${shape})...`);
    await runSql(PG, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await runSql(PG, `CREATE DATABASE "${database}"`);
    const db = { ...PG, database };
    if (shape === 'indexed') {
      await runSql(
        db,
        'CREATE TABLE events (id bigint PRIMARY KEY, tenant_id integer NOT NULL, created_at timestamptz NOT NULL, kind text NOT NULL, payload text)',
      );
      await runSql(
        db,
        `INSERT INTO events
         SELECT i, ((i::bigint * 7919) % 500)::int, timestamptz '2026-01-01' + (i * interval '7 seconds'),
                (ARRAY['login','upload','invoice','visit','note'])[1 + i % 5], md5(i::text) || md5((i::bigint * 31)::text)
           FROM generate_series(1, 3500000) AS i`,
      );
      await runSql(db, 'CREATE INDEX events_tenant_created ON events (tenant_id, created_at)');
    } else {
      execFileSync('pgbench', ['-i', '-q', '-s', '40', '-I', 'dtGvp', database], {
        env: { ...process.env, ...PG_ENV },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    }
    await runSql(db, 'VACUUM ANALYZE');
    await runSql(db, 'CREATE TABLE nb_bench_ready (at timestamptz DEFAULT now())');
    return { database, dbUrl: url(database) };
  },
  shellDump(database, gz) {
    return [
      'bash',
      ['-c', `set -o pipefail; pg_dump ${PG_DUMP_FLAGS.join(' ')} "$DB" | gzip -6 > "$GZ"`],
      { ...PG_ENV, DB: database, GZ: gz },
    ];
  },
  shellRestore(gz, target) {
    return [
      'bash',
      ['-c', 'set -o pipefail; gunzip -c "$GZ" | psql -X -q -v ON_ERROR_STOP=1 -d "$DB" > /dev/null'],
      { ...PG_ENV, DB: target, GZ: gz },
    ];
  },
  shellTitle: 'gunzip -c db.sql.gz | psql',
  async create(name) {
    await runSql(PG, `CREATE DATABASE "${name}"`);
  },
  async drop(name) {
    await runSql(PG, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  },
  async seedSmall(name) {
    await runSql({ ...PG, database: name }, 'CREATE TABLE live_before (id int PRIMARY KEY); INSERT INTO live_before VALUES (1), (2), (3)');
  },
  async settle() {
    await runSql(PG, 'CHECKPOINT');
  },
};

function url(database: string): string {
  return `postgres://${PG.username}@${PG.host}:${PG.port}/${database}`;
}
