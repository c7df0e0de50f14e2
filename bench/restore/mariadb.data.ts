import { ADMIN, runSql } from '../../test/support/databases';
import { RestoreEngine, RestoreShape } from './engine';

const MARIA = ADMIN.mariadb;
/** The flags the library dumps with (mysql.dumper.ts), so both dumps are alike. */
const DUMP_FLAGS =
  '--single-transaction --routines --triggers --hex-blob --no-tablespaces --skip-add-locks --skip-dump-date --default-character-set=utf8mb4';
const CLIENT = '-h 127.0.0.1 -P 3306 -u root';

/**
 * The MariaDB shape of the restore bench: `indexed`, the same 3.5 M-row table as PostgreSQL's
 * (bigint primary key, a secondary index on (tenant_id, created_at)), InnoDB.
 */
export const mariadbEngine: RestoreEngine = {
  name: 'mariadb',
  shapes: ['indexed'],
  async ensure(shape: RestoreShape, log) {
    const database = `nbrestore_${shape}`;
    const ready = await runSql(
      MARIA,
      "SELECT 1 AS x FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'nb_bench_ready'",
      [database],
    );
    if (ready.length === 1) return { database, dbUrl: url(database) };
    log(`Generating MariaDB database ${database} (${shape})...`);
    await runSql(MARIA, `DROP DATABASE IF EXISTS \`${database}\``);
    await runSql(MARIA, `CREATE DATABASE \`${database}\``);
    const db = { ...MARIA, database };
    await runSql(
      db,
      'CREATE TABLE events (id bigint PRIMARY KEY, tenant_id int NOT NULL, created_at datetime(6) NOT NULL, kind varchar(16) NOT NULL, payload text, KEY events_tenant_created (tenant_id, created_at)) ENGINE=InnoDB',
    );
    // 3.5 M rows from a 1,000-row seed crossed with itself (MariaDB has seq_1_to_N: the sequence engine).
    await runSql(
      db,
      `INSERT INTO events
       SELECT seq, (seq * 7919) % 500, TIMESTAMP '2026-01-01 00:00:00' + INTERVAL (seq * 7) SECOND,
              ELT(1 + seq % 5, 'login', 'upload', 'invoice', 'visit', 'note'), CONCAT(MD5(seq), MD5(seq * 31))
         FROM seq_1_to_3500000`,
    );
    await runSql(db, 'CREATE TABLE nb_bench_ready (at datetime DEFAULT CURRENT_TIMESTAMP)');
    return { database, dbUrl: url(database) };
  },
  shellDump(database, gz) {
    return ['bash', ['-c', `set -o pipefail; mariadb-dump ${CLIENT} ${DUMP_FLAGS} "$DB" | gzip -6 > "$GZ"`], { DB: database, GZ: gz }];
  },
  shellRestore(gz, target) {
    return ['bash', ['-c', `set -o pipefail; gunzip -c "$GZ" | mariadb ${CLIENT} "$DB"`], { DB: target, GZ: gz }];
  },
  shellTitle: 'gunzip -c db.sql.gz | mariadb',
  async create(name) {
    await runSql(MARIA, `CREATE DATABASE \`${name}\``);
  },
  async drop(name) {
    await runSql(MARIA, `DROP DATABASE IF EXISTS \`${name}\``);
  },
  async seedSmall(name) {
    await runSql({ ...MARIA, database: name }, 'CREATE TABLE live_before (id int PRIMARY KEY)');
    await runSql({ ...MARIA, database: name }, 'INSERT INTO live_before VALUES (1), (2), (3)');
  },
  async settle() {
    await runSql(MARIA, 'FLUSH TABLES');
  },
};

function url(database: string): string {
  return `mysql://${MARIA.username}@${MARIA.host}:${MARIA.port}/${database}`;
}
