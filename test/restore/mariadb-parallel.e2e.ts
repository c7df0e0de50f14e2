/**
 * A MariaDB restore over two client sessions (BACKUP_RESTORE_JOBS=2) on a schema made to trip
 * the parallel load: a table of several 2 MiB jobs (so both sessions load rows) whose plain
 * secondary keys are built after the rows, a parent whose deferred key a child's foreign key
 * needs (the child comes first in the dump), an AUTO_INCREMENT column leading a plain key, a
 * zero in an AUTO_INCREMENT column and TIMESTAMP values loaded on a server whose sessions
 * start in another time zone (right only if the dump's header settings reach every session), and a trigger that must not fire during the load.
 * The copy must have the same definitions, the same rows and a working foreign key.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempAppDir } from '../support/cli';
import { entryData } from '../support/zip-entries';
import { ADMIN, createTestDatabase, runSql, TestDatabase, uniqueName } from '../support/databases';
import { baseEnv, dbUrl } from '../faults/faults.fixtures';

const SCHEMA = `
CREATE TABLE zone (id INT NOT NULL PRIMARY KEY, code INT NOT NULL, name VARCHAR(50) NOT NULL, KEY zone_code (code)) ENGINE=InnoDB;
CREATE TABLE audit (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, zone_code INT NOT NULL, note VARCHAR(100),
  KEY audit_note (note),
  CONSTRAINT audit_zone FOREIGN KEY (zone_code) REFERENCES zone (code)
) ENGINE=InnoDB;
CREATE TABLE big (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, tenant INT NOT NULL, at TIMESTAMP NOT NULL DEFAULT '2026-01-01 00:00:00',
  body TEXT NOT NULL, KEY big_tenant_at (tenant, at), KEY big_body (body(12))
) ENGINE=InnoDB;
CREATE TABLE counter (x INT NOT NULL PRIMARY KEY, id INT NOT NULL AUTO_INCREMENT, KEY counter_id (id)) ENGINE=InnoDB;
CREATE TABLE inserted (big_id BIGINT NOT NULL) ENGINE=InnoDB;
INSERT INTO zone SELECT seq, 1000 + seq, CONCAT('zone ', seq) FROM seq_1_to_50;
INSERT INTO audit (zone_code, note) SELECT 1000 + 1 + seq % 50, CONCAT('note ', seq) FROM seq_1_to_500;
SET STATEMENT sql_mode = 'NO_AUTO_VALUE_ON_ZERO' FOR INSERT INTO big (id, tenant, at, body) VALUES (0, 7, '2026-03-29 01:30:00', 'row zero, emoji 🦷 and a quote '' and a backslash \\\\');
INSERT INTO big (tenant, at, body)
  SELECT seq % 97, TIMESTAMP '2026-01-01 00:00:00' + INTERVAL seq MINUTE, CONCAT(SHA2(seq, 256), ' ', REPEAT('text ', 1 + seq % 20), 'é')
  FROM seq_1_to_40000;
INSERT INTO counter (x) SELECT seq FROM seq_1_to_30;
CREATE TRIGGER big_inserted AFTER INSERT ON big FOR EACH ROW INSERT INTO inserted VALUES (NEW.id);
`;

const TABLES = ['audit', 'big', 'counter', 'inserted', 'zone'];

async function definitions(db: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of TABLES) {
    const [row] = await runSql({ ...ADMIN.mariadb, database: db }, `SHOW CREATE TABLE \`${t}\``);
    out[t] = String(row['Create Table']);
  }
  return out;
}

async function checksums(db: string): Promise<Record<string, string>> {
  const rows = await runSql({ ...ADMIN.mariadb, database: db }, `CHECKSUM TABLE ${TABLES.map((t) => `\`${t}\``).join(', ')}`);
  return Object.fromEntries(rows.map((r) => [String(r.Table).split('.').pop(), String(r.Checksum)]));
}

describe('a MariaDB restore over two client sessions', () => {
  let db: TestDatabase;
  let app: ReturnType<typeof tempAppDir>;
  let env: Record<string, string>;
  const cleanups: Array<() => Promise<void> | void> = [];
  beforeAll(async () => {
    db = await createTestDatabase('mariadb', 'mpar');
    app = tempAppDir('nbt-mpar-');
    for (const statement of SCHEMA.split(/;\n/)
      .map((s) => s.trim())
      .filter(Boolean))
      await runSql(db.connection, statement);
    env = baseEnv('mpar-app', { DB_URL: dbUrl(db.connection), BACKUP_INCLUDE: '' });
    const run = await runCli(['backup:run', '--only-db'], env, app.dir);
    expect(run.code).toBe(0);
  }, 120_000);
  afterEach(async () => {
    while (cleanups.length) await Promise.resolve(cleanups.pop()!()).catch(() => undefined);
  });
  afterAll(async () => {
    app?.cleanup();
    await db?.drop();
  });

  it('brings back the same definitions and rows, its indexes built after the rows, its foreign key working', async () => {
    const copy = uniqueName('mpar_copy');
    cleanups.push(async () => void (await runSql(ADMIN.mariadb, `DROP DATABASE IF EXISTS \`${copy}\``)));
    // A server whose sessions start in another time zone: TIMESTAMP rows load right only on a
    // session that had the dump's `SET TIME_ZONE='+00:00'` (the header's settings, every session).
    const [{ zone }] = await runSql(ADMIN.mariadb, 'SELECT @@GLOBAL.time_zone AS zone');
    await runSql(ADMIN.mariadb, "SET GLOBAL time_zone = '+05:00'");
    cleanups.push(async () => void (await runSql(ADMIN.mariadb, `SET GLOBAL time_zone = '${zone}'`)));
    const restore = await runCli(
      ['backup:restore', '--latest', '--only-db', '--to-database', copy, '--force'],
      { ...env, BACKUP_RESTORE_JOBS: '2' },
      app.dir,
    );
    await runSql(ADMIN.mariadb, `SET GLOBAL time_zone = '${zone}'`);
    expect(restore.stdout + restore.stderr).toMatch(/every row count matches the manifest/);
    expect(restore.code).toBe(0);

    expect(await definitions(copy)).toEqual(await definitions(db.connection.database));
    expect(await checksums(copy)).toEqual(await checksums(db.connection.database));
    // The trigger was made after the rows: it fired for none of them.
    expect(await runSql({ ...ADMIN.mariadb, database: copy }, 'SELECT COUNT(*) AS n FROM inserted')).toEqual([{ n: 0 }]);
    const zeroRow = 'SELECT id, UNIX_TIMESTAMP(at) AS t, body FROM big WHERE id = 0';
    expect(await runSql({ ...ADMIN.mariadb, database: copy }, zeroRow)).toEqual(await runSql(db.connection, zeroRow));
    const [zero] = await runSql({ ...ADMIN.mariadb, database: copy }, zeroRow);
    expect(zero).toEqual({ id: 0, t: 1774747800, body: "row zero, emoji 🦷 and a quote ' and a backslash \\" });
    // The foreign key on the deferred key holds: a code no zone has is refused.
    const refused = await runSql({ ...ADMIN.mariadb, database: copy }, 'INSERT INTO audit (zone_code) VALUES (999999)').catch(
      (e: Error) => e,
    );
    expect(String(refused)).toMatch(/foreign key constraint fails/i);
  }, 180_000);

  it('a flipped byte inside the dump: the sessions stop, the new database is dropped, the source is untouched', async () => {
    const folder = join(app.dir, 'storage', 'backups', 'mpar-app');
    const [good] = readdirSync(folder).filter((f) => f.endsWith('.zip'));
    const bytes = readFileSync(join(folder, good));
    const dump = await entryData(join(folder, good), (name) => name.startsWith('db-dumps/'));
    // Past the 18-byte salt + verifier, before the 10-byte MAC, late enough that rows have loaded.
    bytes[dump.start + 18 + Math.floor((dump.length - 28) * 0.8)] ^= 0x01;
    writeFileSync(join(folder, '2000-01-01-00-00-00.zip'), bytes);
    const copy = uniqueName('mpar_bad');
    cleanups.push(async () => void (await runSql(ADMIN.mariadb, `DROP DATABASE IF EXISTS \`${copy}\``)));
    const sums = await checksums(db.connection.database);

    const restore = await runCli(
      ['backup:restore', '2000-01-01-00-00-00.zip', '--only-db', '--to-database', copy, '--force'],
      { ...env, BACKUP_RESTORE_JOBS: '2' },
      app.dir,
    );
    expect(restore.code).not.toBe(0);
    expect(restore.stdout + restore.stderr).toMatch(/Archive entry "db-dumps\/[^"]+" is corrupt/);
    expect(await runSql(ADMIN.mariadb, 'SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [copy])).toEqual([]);
    expect(await checksums(db.connection.database)).toEqual(sums);
  }, 180_000);
});
