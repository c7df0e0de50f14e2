/**
 * "A swap never half-happens" (issue 16): what a restore in place keeps of the live database
 * and what it does while another connection holds a live table.
 * - MariaDB: triggers and views keep their own character_set_client / collation_connection; a
 *   swap blocked by an open transaction waits BACKUP_RESTORE_LOCK_WAIT_SECONDS, gives up naming
 *   the blocking connection, and the live views and triggers are there all the while.
 * - PostgreSQL: owner, database grants (REVOKE CONNECT … FROM PUBLIC), ALTER DATABASE … SET,
 *   the comment and table grants survive; the app's role still connects and reads.
 * - SQLite: rows are checked before the live file is replaced; the file keeps its mode.
 */
import { chmodSync, createWriteStream, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createConnection } from 'mysql2/promise';
import { Client } from 'pg';
import { ZipReader, ZipWriter } from '../../libs/backup/src/archive';
import { MysqlSwapper } from '../../libs/backup/src/restore/mysql.swapper';
import { DatabaseSwapError } from '../../libs/backup/src/restore/restore.errors';
import { ConnectionInfo } from '../../libs/backup/src/sources/connection-info';
import { loaderFor } from '../../libs/backup/src/sources/dumper.registry';
import { ADMIN, createTestDatabase, runSql, seedDemo, tableContents, TestDatabase } from '../support/databases';
import { appFolder, harness, Harness, optionsFor, PASSWORD } from './restore.fixtures';

const when = new Date(Date.UTC(2026, 1, 1, 0, 0, 0));

async function backupOf(live: ConnectionInfo): Promise<{ h: Harness; key: string; appRoot: string }> {
  const appRoot = appFolder();
  const h = await harness(optionsFor({ appRoot, connection: live }));
  const report = await h.backups.run({ onlyDb: true, now: when });
  expect(report.ok).toBe(true);
  return { h, key: report.key, appRoot };
}

describe('MariaDB swap', () => {
  let db: TestDatabase;
  let live: ConnectionInfo;
  let h: Harness;
  let key: string;
  let appRoot: string;

  beforeAll(async () => {
    db = await createTestDatabase('mariadb', 'swapg');
    live = db.connection;
    await seedDemo(live, { tenants: 2, rowsPerTenant: 3 });
    // Made the way an older app or client made them: under utf8mb3, which the server keeps with them.
    await runSql(
      live,
      `SET NAMES utf8mb3;
       CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, tenant_id INT NOT NULL);
       CREATE TRIGGER tenants_audit AFTER INSERT ON tenants FOR EACH ROW INSERT INTO audit (tenant_id) VALUES (NEW.id);
       CREATE VIEW tenant_names AS SELECT id, name FROM tenants;
       SET NAMES utf8mb4`,
    );
    ({ h, key, appRoot } = await backupOf(live));
  });
  afterAll(async () => {
    await h?.close();
    await db?.drop();
    if (appRoot) rmSync(appRoot, { recursive: true, force: true });
  });

  const charsets = async () =>
    runSql(
      live,
      `SELECT 'trigger' AS kind, TRIGGER_NAME AS name, CHARACTER_SET_CLIENT AS cs, COLLATION_CONNECTION AS co FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()
       UNION ALL SELECT 'view', TABLE_NAME, CHARACTER_SET_CLIENT, COLLATION_CONNECTION FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1, 2`,
    );

  it('triggers and views come back under their own character_set_client and collation_connection', async () => {
    const before = await charsets();
    expect(before).toEqual([
      { kind: 'trigger', name: 'tenants_audit', cs: 'utf8mb3', co: 'utf8mb3_general_ci' },
      { kind: 'view', name: 'tenant_names', cs: 'utf8mb3', co: 'utf8mb3_general_ci' },
    ]);
    const report = await h.restores.restore({ name: key, onlyDb: true, force: true, noSafetyBackup: true });
    expect(report.ok).toBe(true);
    expect(await charsets()).toEqual(before);
  });

  it('a swap blocked by an open transaction waits the configured time, names the connection, and the live views and triggers stay all the while', async () => {
    const staging = `${live.database}_restore_0badf00d`;
    const stagingDb: ConnectionInfo = { ...live, database: staging };
    await runSql(ADMIN.mariadb, `CREATE DATABASE \`${staging}\``);
    const app = await createConnection({
      host: live.host,
      port: live.port,
      user: live.username,
      password: live.password,
      database: live.database,
    });
    try {
      await seedDemo(stagingDb, { tenants: 1, rowsPerTenant: 1 });
      const objects = async () =>
        (
          await runSql(
            live,
            `SELECT CONCAT('view ', TABLE_NAME) AS o FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()
             UNION ALL SELECT CONCAT('trigger ', TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY 1`,
          )
        ).map((r) => r.o);
      const before = await objects();
      const rows = await tableContents(live);
      expect(before).toEqual(['trigger tenants_audit', 'view tenant_names']);

      // The app reads a live table inside a transaction it keeps open.
      await app.query('BEGIN');
      await app.query('SELECT COUNT(*) FROM tenants');
      const [[{ id: appId }]] = (await app.query('SELECT CONNECTION_ID() AS id')) as any;

      const swapping = new MysqlSwapper()
        .swap(ADMIN.mariadb, staging, live.database, {
          old: `${live.database}_replaced_0badf00d`,
          keepReplaced: false,
          onStep: () => undefined,
          lockWaitSeconds: 3,
        })
        .catch((e) => e);
      // While the swap waits, a reader finds every view and trigger.
      await new Promise((r) => setTimeout(r, 1500));
      expect(await objects()).toEqual(before);
      expect(await runSql(live, 'SELECT COUNT(*) AS n FROM tenant_names')).toEqual([{ n: 2 }]);

      const err = await swapping;
      expect(err).toBeInstanceOf(DatabaseSwapError);
      expect(err.message).toMatch(new RegExp(`waited 3 s .*connection ${appId} \\(root@`));
      expect(err.hint).toMatch(/was left as it was/);
      expect(await objects()).toEqual(before);
      expect(await tableContents(live)).toEqual(rows);
      const left = await runSql(ADMIN.mariadb, 'SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?', [
        `${live.database}\\_replaced\\_%`,
      ]);
      expect(left).toEqual([]);
    } finally {
      await app.end().catch(() => undefined);
      await loaderFor('mariadb').dropDatabase(ADMIN.mariadb, staging);
    }
  }, 60_000);
});

describe('PostgreSQL swap', () => {
  let db: TestDatabase;
  let live: ConnectionInfo;
  let h: Harness;
  let key: string;
  let appRoot: string;
  const suffix = randomBytes(3).toString('hex');
  const appRole = `nbt_app_${suffix}`;
  const ownerRole = `nbt_owner_${suffix}`;
  const otherRole = `nbt_other_${suffix}`;

  beforeAll(async () => {
    for (const r of [appRole, ownerRole, otherRole]) await runSql(ADMIN.postgres, `CREATE ROLE ${r} LOGIN`);
    db = await createTestDatabase('postgres', 'swapg');
    live = db.connection;
    await seedDemo(live, { tenants: 2, rowsPerTenant: 3 });
    const name = live.database;
    await runSql(ADMIN.postgres, `ALTER DATABASE "${name}" OWNER TO ${ownerRole}`);
    await runSql(ADMIN.postgres, `REVOKE CONNECT, TEMPORARY ON DATABASE "${name}" FROM PUBLIC`);
    await runSql(ADMIN.postgres, `GRANT CONNECT ON DATABASE "${name}" TO ${appRole}`);
    await runSql(ADMIN.postgres, `ALTER DATABASE "${name}" SET statement_timeout = '5s'`);
    await runSql(ADMIN.postgres, `ALTER DATABASE "${name}" SET search_path = public, "$user"`);
    await runSql(ADMIN.postgres, `COMMENT ON DATABASE "${name}" IS 'clinic data – do not drop'`);
    await runSql(live, `GRANT SELECT, INSERT ON tenants TO ${appRole}`);
    ({ h, key, appRoot } = await backupOf(live));
  });
  afterAll(async () => {
    await h?.close();
    await db?.drop();
    for (const r of [appRole, ownerRole, otherRole]) await runSql(ADMIN.postgres, `DROP ROLE IF EXISTS ${r}`).catch(() => undefined);
    if (appRoot) rmSync(appRoot, { recursive: true, force: true });
  });

  const facts = async () => {
    const [d] = await runSql(
      ADMIN.postgres,
      `SELECT pg_get_userbyid(datdba) AS owner, shobj_description(oid, 'pg_database') AS comment,
              has_database_privilege($2, oid, 'CONNECT') AS app_connect, has_database_privilege($3, oid, 'CONNECT') AS other_connect,
              (SELECT array_agg(x ORDER BY x) FROM pg_db_role_setting s, unnest(s.setconfig) x WHERE s.setdatabase = d.oid) AS settings
         FROM pg_database d WHERE datname = $1`,
      [live.database, appRole, otherRole],
    );
    const [t] = await runSql(
      live,
      `SELECT has_table_privilege($1, 'tenants', 'SELECT') AS sel, has_table_privilege($1, 'tenants', 'INSERT') AS ins,
              has_table_privilege($1, 'tenants', 'UPDATE') AS upd, has_table_privilege($1, 'users', 'SELECT') AS users_sel`,
      [appRole],
    );
    return { ...d, ...t };
  };

  it("keeps the owner, database grants, settings, comment and table grants: the app's role still connects and reads", async () => {
    const before = await facts();
    expect(before).toMatchObject({
      owner: ownerRole,
      app_connect: true,
      other_connect: false,
      sel: true,
      ins: true,
      upd: false,
      users_sel: false,
    });
    expect(before.settings).toEqual(['search_path=public, "$user"', 'statement_timeout=5s']);

    const report = await h.restores.restore({ name: key, onlyDb: true, force: true, noSafetyBackup: true });
    expect(report.ok).toBe(true);
    expect(await facts()).toEqual(before);

    const app = new Client({ host: live.host, port: live.port, user: appRole, database: live.database });
    await app.connect();
    try {
      expect((await app.query('SELECT count(*)::int AS n FROM tenants')).rows).toEqual([{ n: 2 }]);
      expect((await app.query('SHOW statement_timeout')).rows).toEqual([{ statement_timeout: '5s' }]);
      await expect(app.query('UPDATE tenants SET name = name')).rejects.toThrow(/permission denied/);
    } finally {
      await app.end();
    }
    const other = new Client({ host: live.host, port: live.port, user: otherRole, database: live.database });
    await expect(other.connect()).rejects.toThrow(/permission denied/);
  }, 120_000);
});

describe('SQLite swap', () => {
  let db: TestDatabase;
  let live: ConnectionInfo;
  let h: Harness;
  let key: string;
  let appRoot: string;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite', 'swapg');
    live = db.connection;
    await seedDemo(live, { tenants: 2, rowsPerTenant: 3 });
    ({ h, key, appRoot } = await backupOf(live));
  });
  afterAll(async () => {
    await h?.close();
    await db?.drop();
    if (appRoot) rmSync(appRoot, { recursive: true, force: true });
  });

  it('keeps the file mode (0664 stays 0664)', async () => {
    chmodSync(live.database, 0o664);
    const report = await h.restores.restore({ name: key, onlyDb: true, force: true, noSafetyBackup: true });
    expect(report.ok).toBe(true);
    expect((statSync(live.database).mode & 0o777).toString(8)).toBe('664');
  });

  it('checks the rows before the live file is replaced: a mismatch leaves the file as it was', async () => {
    await runSql(live, "UPDATE tenants SET name = 'changed after the backup'");
    const bytes = readFileSync(live.database);
    const folder = join(appRoot, 'storage', 'backups', 'restore-app');
    // The same dump with a manifest that expects one row more in tenants.
    const reader = await ZipReader.open(join(appRoot, 'storage', 'backups', key), { password: PASSWORD });
    try {
      const manifest = await reader.readManifest();
      const entry = manifest.entries.find((e) => e.kind === 'database-dump')!.path;
      const databases = (manifest.databases as any[]).map((d) => ({ ...d, tables: { ...d.tables, tenants: d.tables.tenants + 1 } }));
      const writer = new ZipWriter({ encryption: 'aes256', password: PASSWORD, appName: 'restore-app' });
      const written = pipeline(writer.output, createWriteStream(join(folder, '2026-02-01-00-00-09.zip')));
      const chunks: Buffer[] = [];
      for await (const chunk of await reader.openEntry(entry)) chunks.push(chunk as Buffer);
      await writer.addEntry(entry, Readable.from([Buffer.concat(chunks)]), { kind: 'database-dump' });
      await writer.finish({ databases });
      await written;
    } finally {
      await reader.close();
    }
    const result = await h.restores
      .restore({ name: '2026-02-01-00-00-09.zip', onlyDb: true, force: true, noSafetyBackup: true })
      .catch((e) => e);
    expect(result).toBeInstanceOf(Error);
    expect(String(result.message)).toMatch(/tenants \(2 restored, 3 expected\)/);
    expect(readFileSync(live.database).equals(bytes)).toBe(true);
    expect(await runSql(live, 'SELECT DISTINCT name FROM tenants')).toEqual([{ name: 'changed after the backup' }]);
    expect(readdirSync(dirname(live.database)).filter((f) => f.includes('.staged-') || f.endsWith('.tmp'))).toEqual([]);
  });
});
