/**
 * "No half-restored database": a restore over an existing PostgreSQL or MariaDB database loads
 * into `<db>_restore_<hex>` first and swaps it in only after the load and the row counts
 * checked out. A real archive (written with the library's ZipWriter, manifest and all) whose
 * dump breaks half-way must leave the live database exactly as it was and no staging or old
 * database behind; a good one must give exactly the backup's rows, with MariaDB's views,
 * triggers and routines in place.
 */
import { createWriteStream, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { ZipReader, ZipWriter } from '../../libs/backup/src/archive';
import { MysqlSwapper } from '../../libs/backup/src/restore/mysql.swapper';
import { PostgresSwapper } from '../../libs/backup/src/restore/postgres.swapper';
import { DatabaseSwapError, RestoreFailedError } from '../../libs/backup/src/restore/restore.errors';
import { ConnectionInfo } from '../../libs/backup/src/sources/connection-info';
import { loaderFor } from '../../libs/backup/src/sources/dumper.registry';
import { ADMIN, createTestDatabase, runSql, seedDemo, tableContents, TestDatabase } from '../support/databases';
import { appFolder, harness, Harness, optionsFor, PASSWORD, snapshot } from './restore.fixtures';

type ServerKind = 'postgres' | 'mariadb';

/** Databases on the server whose name starts with `prefix` (staging / old leftovers). */
async function databasesStartingWith(kind: ServerKind, prefix: string): Promise<string[]> {
  const rows =
    kind === 'postgres'
      ? await runSql(ADMIN.postgres, 'SELECT datname AS name FROM pg_database')
      : await runSql(ADMIN.mariadb, 'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA');
  return rows.map((r) => String(r.name)).filter((n) => n.startsWith(prefix));
}

async function leftovers(kind: ServerKind, database: string): Promise<string[]> {
  return [...(await databasesStartingWith(kind, `${database}_restore_`)), ...(await databasesStartingWith(kind, `${database}_old_`))];
}

/** MariaDB objects that do not move with RENAME TABLE: views, triggers, routines. */
async function mariadbObjects(c: ConnectionInfo): Promise<string[]> {
  const rows = await runSql(
    c,
    `SELECT CONCAT('view ', TABLE_NAME) AS o FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()
     UNION ALL SELECT CONCAT('trigger ', TRIGGER_NAME, ' on ', EVENT_OBJECT_TABLE) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()
     UNION ALL SELECT CONCAT(LOWER(ROUTINE_TYPE), ' ', ROUTINE_NAME) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()`,
  );
  return rows.map((r) => String(r.o)).sort();
}

/** A view, a trigger, a function and a procedure beside the demo tables (mariadb-dump --routines --triggers keeps them). */
async function addMariadbObjects(c: ConnectionInfo): Promise<void> {
  await runSql(c, 'CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, tenant_id INT NOT NULL)');
  await runSql(c, 'CREATE TRIGGER tenants_audit AFTER INSERT ON tenants FOR EACH ROW INSERT INTO audit (tenant_id) VALUES (NEW.id)');
  await runSql(c, 'CREATE VIEW tenant_names AS SELECT id, name FROM tenants');
  await runSql(c, 'CREATE FUNCTION tenant_count() RETURNS INT READS SQL DATA RETURN (SELECT COUNT(*) FROM tenants)');
  await runSql(c, 'CREATE PROCEDURE rename_tenant(IN tid INT, IN new_name VARCHAR(200)) UPDATE tenants SET name = new_name WHERE id = tid');
}

/**
 * Copies the archive `key` with its dump broken half-way: after the middle one of the
 * statements that fill a table (PostgreSQL: the end of a COPY, MariaDB: an INSERT) comes a line
 * that is not SQL. The manifest keeps the real row counts, so only the load can fail.
 */
async function writeBrokenCopy(folder: string, key: string, name: string): Promise<string> {
  const reader = await ZipReader.open(join(folder, '..', key), { password: PASSWORD });
  try {
    const manifest = await reader.readManifest();
    const entry = manifest.entries.find((e) => e.kind === 'database-dump')!.path;
    const chunks: Buffer[] = [];
    for await (const chunk of await reader.openEntry(entry)) chunks.push(chunk as Buffer);
    const lines = Buffer.concat(chunks).toString('utf8').split('\n');
    const fills = lines.map((l, i) => (l === '\\.' || l.startsWith('INSERT INTO') ? i : -1)).filter((i) => i >= 0);
    expect(fills.length).toBeGreaterThanOrEqual(4);
    lines.splice(fills[Math.floor(fills.length / 2)] + 1, 0, 'THIS LINE IS NOT SQL AND STOPS THE LOAD;');
    const writer = new ZipWriter({ encryption: 'aes256', password: PASSWORD, appName: 'restore-app' });
    const written = pipeline(writer.output, createWriteStream(join(folder, name)));
    await writer.addEntry(entry, Readable.from([Buffer.from(lines.join('\n'))]), { kind: 'database-dump' });
    await writer.finish({ databases: manifest.databases });
    await written;
    return entry;
  } finally {
    await reader.close();
  }
}

describe.each<ServerKind>(['postgres', 'mariadb'])('atomic restore over a live %s database', (kind) => {
  let db: TestDatabase;
  let live: ConnectionInfo;
  let appRoot: string;
  let h: Harness;
  let folder: string;
  let goodKey: string;
  let backedUp: Awaited<ReturnType<typeof snapshot>>;
  let backedUpObjects: string[];
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    db = await createTestDatabase(kind, 'atomic');
    live = db.connection;
    await seedDemo(live, { tenants: 3, rowsPerTenant: 5 });
    if (kind === 'mariadb') await addMariadbObjects(live);
    appRoot = appFolder();
    h = await harness(optionsFor({ appRoot, connection: live }));
    const report = await h.backups.run({ onlyDb: true, now: new Date(Date.UTC(2026, 1, 1, 0, 0, 0)) });
    expect(report.ok).toBe(true);
    goodKey = report.key;
    folder = join(appRoot, 'storage', 'backups', 'restore-app');
    backedUp = await snapshot(live);
    backedUpObjects = kind === 'mariadb' ? await mariadbObjects(live) : [];
    await writeBrokenCopy(folder, goodKey, '2026-02-01-00-00-01.zip');
  });
  afterAll(async () => {
    await h?.close();
    for (const c of cleanups) await c().catch(() => undefined);
    for (const name of await leftovers(kind, live.database).catch(() => [])) await loaderFor(live.driver).dropDatabase(ADMIN[kind], name);
    await db?.drop();
    if (appRoot) rmSync(appRoot, { recursive: true, force: true });
  });

  /** The live database after some use: rows gone, rows changed, a table the backup does not have. */
  async function useTheApp(): Promise<void> {
    await runSql(live, 'DELETE FROM sub_queues WHERE id > 6');
    await runSql(live, "UPDATE users SET name = 'changed since the backup' WHERE id < 4");
    await runSql(live, 'CREATE TABLE made_after_backup (id INTEGER PRIMARY KEY)');
    await runSql(live, 'INSERT INTO made_after_backup (id) VALUES (1), (2)');
  }

  it('a dump that breaks half-way leaves the live database exactly as it was and no staging database', async () => {
    await useTheApp();
    const before = await snapshot(live);
    const objects = kind === 'mariadb' ? await mariadbObjects(live) : [];
    expect(before).not.toEqual(backedUp);

    const err = await h.restores.restore({ name: '2026-02-01-00-00-01.zip', onlyDb: true, force: true }).catch((e) => e);
    expect(err).toBeInstanceOf(RestoreFailedError);
    expect(err.message).toMatch(
      kind === 'postgres' ? /psql failed to load .*_restore_[0-9a-f]{8}.*syntax error/s : /failed to load .*_restore_[0-9a-f]{8}.*syntax/s,
    );
    expect(err.message).toMatch(/No database was changed: the dump was loaded into a staging copy/);
    // The safety backup is taken once the dumps are staged: a dump that does not load costs none.
    expect(readdirSync(folder).filter((f) => f.startsWith('pre-restore-'))).toEqual([]);

    expect(await tableContents(live)).toEqual(before.rows);
    expect(await snapshot(live)).toEqual(before);
    if (kind === 'mariadb') expect(await mariadbObjects(live)).toEqual(objects);
    expect(await leftovers(kind, live.database)).toEqual([]);
  });

  if (kind === 'mariadb') {
    it('(the same broken dump loaded directly really leaves a half-restored database: what staging prevents)', async () => {
      const scratch = await createTestDatabase('mariadb', 'half');
      try {
        const reader = await ZipReader.open(join(folder, '2026-02-01-00-00-01.zip'), { password: PASSWORD });
        try {
          const entry = (await reader.readManifest()).entries.find((e) => e.kind === 'database-dump')!.path;
          await expect(loaderFor('mariadb').load(scratch.connection, await reader.openEntry(entry))).rejects.toThrow(/syntax/);
        } finally {
          await reader.close();
        }
        const half = await tableContents(scratch.connection);
        expect(Object.keys(half).length).toBeGreaterThan(0);
        expect(half).not.toEqual(backedUp.rows);
      } finally {
        await scratch.drop();
      }
    });
  }

  it('a good restore over the live database gives exactly the backup and leaves nothing behind', async () => {
    const steps: string[] = [];
    // An app session on the live database: PostgreSQL ends it (and says so) to rename the database.
    const session =
      kind === 'postgres' ? new Client({ host: live.host, port: live.port, user: live.username, database: live.database }) : undefined;
    session?.on('error', () => undefined);
    await session?.connect();
    try {
      const report = await h.restores.restore({
        name: goodKey,
        onlyDb: true,
        force: true,
        noSafetyBackup: true,
        onStep: (m) => steps.push(m),
      });
      expect(report.ok).toBe(true);
      expect(report.databases[0]).toMatchObject({ targetDatabase: live.database, inPlace: true, created: false });
      expect(report.databases[0].replacedKeptAs).toBeUndefined();
      expect(report.databases[0].checks.every((c) => c.ok)).toBe(true);
      expect(steps.join('\n')).toMatch(new RegExp(`staging database "${live.database}_restore_[0-9a-f]{8}"`));
      if (kind === 'postgres') {
        expect(steps.join('\n')).toMatch(/ending every other session .*pg_terminate_backend.*app is disconnected/s);
        await expect(session!.query('SELECT 1')).rejects.toThrow(/terminat|Connection/i);
      }
    } finally {
      await session?.end().catch(() => undefined);
    }

    expect(await tableContents(live)).toEqual(backedUp.rows);
    expect(await snapshot(live)).toEqual(backedUp);
    expect(await leftovers(kind, live.database)).toEqual([]);
    if (kind === 'mariadb') {
      expect(await mariadbObjects(live)).toEqual(backedUpObjects);
      // They work on the restored tables: the view reads them, the trigger fires, the procedure counts.
      expect(await runSql(live, 'SELECT COUNT(*) AS n FROM tenant_names')).toEqual([{ n: 3 }]);
      await runSql(live, "INSERT INTO tenants (id, name, created_at) VALUES (99, 'after restore', '2026-02-02 00:00:00')");
      expect(await runSql(live, 'SELECT tenant_id FROM audit WHERE tenant_id = 99')).toEqual([{ tenant_id: 99 }]);
      expect(await runSql(live, 'SELECT tenant_count() AS n')).toEqual([{ n: 4 }]);
      await runSql(live, "CALL rename_tenant(99, 'renamed by the procedure')");
      expect(await runSql(live, 'SELECT name FROM tenants WHERE id = 99')).toEqual([{ name: 'renamed by the procedure' }]);
      await runSql(live, 'DELETE FROM audit WHERE tenant_id = 99; DELETE FROM tenants WHERE id = 99');
    }
  });

  it('keepReplaced keeps the replaced database as <db>_old_<hex>', async () => {
    await useTheApp();
    const replaced = await snapshot(live);
    const report = await h.restores.restore({ name: goodKey, onlyDb: true, force: true, noSafetyBackup: true, keepReplaced: true });
    const kept = report.databases[0].replacedKeptAs!;
    expect(kept).toMatch(new RegExp(`^${live.database}_old_[0-9a-f]{8}$`));
    cleanups.push(() => loaderFor(live.driver).dropDatabase(ADMIN[kind], kept));
    expect(await snapshot(live)).toEqual(backedUp);
    expect(await snapshot({ ...live, database: kept })).toEqual(replaced);
    if (kind === 'mariadb') expect(await mariadbObjects({ ...live, database: kept })).toEqual(backedUpObjects);
    expect(await databasesStartingWith(kind, `${live.database}_restore_`)).toEqual([]);
    await loaderFor(live.driver).dropDatabase(ADMIN[kind], kept);
  });

  it('--to-database: a broken load into a new database drops it; into an existing one leaves it as it was', async () => {
    const fresh = `${live.database}_new`;
    const err = await h.restores.restore({ name: '2026-02-01-00-00-01.zip', onlyDb: true, toDatabase: fresh }).catch((e) => e);
    expect(err).toBeInstanceOf(RestoreFailedError);
    expect(await loaderFor(live.driver).databaseExists(ADMIN[kind], fresh)).toBe(false);

    const beside = await createTestDatabase(kind, 'beside');
    cleanups.push(() => beside.drop());
    await runSql(beside.connection, 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR(20))');
    await runSql(beside.connection, "INSERT INTO notes (id, body) VALUES (1, 'keep me')");
    const err2 = await h.restores
      .restore({ name: '2026-02-01-00-00-01.zip', onlyDb: true, force: true, toDatabase: beside.connection.database })
      .catch((e) => e);
    expect(err2).toBeInstanceOf(RestoreFailedError);
    expect(await tableContents(beside.connection)).toEqual({ notes: [[1, 'keep me']] });
    expect(await leftovers(kind, beside.connection.database)).toEqual([]);
  });

  it('a swap that fails part-way puts everything back', async () => {
    const before = await snapshot(live);
    const objects = kind === 'mariadb' ? await mariadbObjects(live) : [];
    const staging = `${live.database}_restore_feedf00d`;
    const old = `${live.database}_old_feedf00d`;
    const steps: string[] = [];
    if (kind === 'postgres') {
      // The second rename fails (no such staging database) after the first one ran: rolled back.
      await expect(
        new PostgresSwapper().swap(ADMIN.postgres, staging, live.database, { old, keepReplaced: false, onStep: (m) => steps.push(m) }),
      ).rejects.toBeInstanceOf(DatabaseSwapError);
    } else {
      // A staging copy whose view points at a table that is gone: creating that view in the live
      // database fails after the RENAME TABLE, so the tables must be moved back.
      const stagingDb: ConnectionInfo = { ...live, database: staging };
      await runSql(ADMIN.mariadb, `CREATE DATABASE \`${staging}\``);
      cleanups.push(() => loaderFor('mariadb').dropDatabase(ADMIN.mariadb, staging));
      await seedDemo(stagingDb, { tenants: 1, rowsPerTenant: 1 });
      await runSql(stagingDb, 'CREATE TABLE gone (id INT); CREATE VIEW broken_view AS SELECT id FROM gone; DROP TABLE gone');
      await runSql(stagingDb, 'CREATE TRIGGER staging_trigger BEFORE INSERT ON users FOR EACH ROW SET NEW.name = UPPER(NEW.name)');
      const stagingBefore = await tableContents(stagingDb);
      const err = await new MysqlSwapper()
        .swap(ADMIN.mariadb, staging, live.database, { old, keepReplaced: false, onStep: (m) => steps.push(m) })
        .catch((e) => e);
      expect(err).toBeInstanceOf(DatabaseSwapError);
      expect(err.message).toMatch(/broken_view[\s\S]*was left as it was/);
      expect(await tableContents(stagingDb)).toEqual(stagingBefore);
      await loaderFor('mariadb').dropDatabase(ADMIN.mariadb, staging);
    }
    expect(await snapshot(live)).toEqual(before);
    if (kind === 'mariadb') expect(await mariadbObjects(live)).toEqual(objects);
    expect(await leftovers(kind, live.database)).toEqual([]);
  });
});
