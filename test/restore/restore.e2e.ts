/**
 * Restore and verify end to end, per driver, against the real PostgreSQL, MariaDB and SQLite
 * and a real s3rver: back up (to local disk and S3), restore beside the original, test-restore
 * into a scratch database, lose the database, restore it in place, and compare table by table.
 */
import { existsSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestoreNotConfirmedError } from '../../libs/backup/src/restore/restore.errors';
import { loaderFor } from '../../libs/backup/src/sources/dumper.registry';
import { ConnectionInfo } from '../../libs/backup/src/sources/connection-info';
import { ADMIN, createTestDatabase, DbKind, DB_KINDS, rowCounts, runSql, seedDemo, TestDatabase } from '../support/databases';
import { startS3Server, TestS3Server } from '../support/s3.server';
import { appFolder, filesBelow, harness, Harness, optionsFor, snapshot } from './restore.fixtures';

let s3: TestS3Server;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.stop();
});

/** Drops the source database (PostgreSQL/MariaDB) or deletes the SQLite file: the disaster. */
async function loseDatabase(kind: DbKind, c: ConnectionInfo): Promise<void> {
  if (kind === 'sqlite') unlinkSync(c.database);
  else await loaderFor(c.driver).dropDatabase({ ...ADMIN[kind] }, c.database);
}

async function exists(c: ConnectionInfo, name: string): Promise<boolean> {
  return loaderFor(c.driver).databaseExists(c, name);
}

describe.each(DB_KINDS)('restore and verify with %s', (kind) => {
  let db: TestDatabase;
  let appRoot: string;
  let h: Harness;
  const extra: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    db = await createTestDatabase(kind, 'restore');
    await seedDemo(db.connection, { tenants: 3, rowsPerTenant: 6 });
    appRoot = appFolder();
    h = await harness(optionsFor({ appRoot, connection: db.connection, s3 }));
  });
  afterAll(async () => {
    await h?.close();
    for (const f of extra) await f().catch(() => undefined);
    await db?.drop();
    if (appRoot) rmSync(appRoot, { recursive: true, force: true });
  });

  it('backs up, restores beside the original, test-restores, and recovers a lost database in place', async () => {
    const source = db.connection;
    const before = await snapshot(source);
    const files = filesBelow(join(appRoot, 'uploads'));
    const backup = await h.backups.run({ now: new Date(Date.UTC(2026, 10, 21, 2, 0, 0)) });
    expect(backup.destinations.map((d) => [d.disk, d.ok])).toEqual([
      ['local', true],
      ['s3', true],
    ]);
    expect(backup.key).toBe('restore-app/2026-11-21-02-00-00.zip');

    // Dry run from S3: what the manifest says, and nothing changes.
    const dry = await h.restores.restore({ name: '2026-11-21-02-00-00.zip', disk: 's3', dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.databases).toHaveLength(1);
    expect(dry.databases[0].tables).toEqual(await rowCounts(source));
    expect(dry.files).toMatchObject({ count: 3, bytes: Object.values(files).reduce((s, b) => s + b.length, 0) });
    expect(await snapshot(source)).toEqual(before);

    // In place without --force and without a terminal: refused, nothing changed.
    await expect(h.restores.restore({ latest: true, onlyDb: true })).rejects.toBeInstanceOf(RestoreNotConfirmedError);
    expect(await snapshot(source)).toEqual(before);

    // Beside production, from S3, by full key: the copy equals the source, the source is untouched.
    const copyName = kind === 'sqlite' ? join(mkdtempSync(join(tmpdir(), 'nbt-copy-')), 'copy.db') : `${source.database}_copy`;
    const copy: ConnectionInfo = { ...source, database: copyName };
    extra.push(async () =>
      kind === 'sqlite'
        ? rmSync(join(copyName, '..'), { recursive: true, force: true })
        : loaderFor(source.driver).dropDatabase(source, copyName),
    );
    const beside = await h.restores.restore({ name: backup.key, disk: 's3', onlyDb: true, toDatabase: copyName });
    expect(beside.ok).toBe(true);
    expect(beside.safetyBackup).toBeUndefined();
    expect(beside.databases[0]).toMatchObject({ targetDatabase: copyName, inPlace: false, created: true });
    expect(beside.databases[0].checks.every((c) => c.ok)).toBe(true);
    expect(beside.durationMs).toBeGreaterThan(0);
    expect(await snapshot(copy)).toEqual(before);
    expect(await snapshot(source)).toEqual(before);

    // Test restore from S3: scratch database created, compared, and gone afterwards.
    const verified = await h.verifier.verify({ latest: true, disk: 's3', testRestore: true });
    expect(verified.ok).toBe(true);
    const [result] = verified.backups;
    expect(result.faults).toEqual([]);
    expect(result.testRestore).toHaveLength(1);
    const test = result.testRestore![0];
    expect(test).toMatchObject({ ok: true, scratchDropped: true });
    expect(test.scratchDatabase).toMatch(kind === 'sqlite' ? /_verify_[0-9a-f]{8}\.db$/ : /_verify_[0-9a-f]{8}$/);
    expect(await exists(source, test.scratchDatabase)).toBe(false);
    expect(test.tables.map((t) => [t.table, t.actual])).toEqual(Object.entries(await rowCounts(source)).sort());
    expect(h.events.map((e) => e.name)).toEqual(['backup.verify.succeeded']);
    expect(h.events[0].payload).toMatchObject({ backupName: backup.key, destination: 's3', ok: true });

    // Disaster: the database is gone. Restore it in place from the local disk (no safety backup
    // is possible: there is nothing left to save), files beside the app.
    await loseDatabase(kind, source);
    const filesTo = join(appRoot, 'restored-files');
    const recovered = await h.restores.restore({ latest: true, disk: 'local', force: true, filesTo });
    expect(recovered.ok).toBe(true);
    // Every entry counted once, streamed ones (the dump, the files) included: as the dry run,
    // which reads them all.
    expect(recovered.verified).toMatchObject({ entries: dry.verified.entries, bytes: dry.verified.bytes });
    expect(recovered.verified.entries).toBe(5);
    expect(recovered.safetyBackup).toBeUndefined();
    expect(recovered.databases[0]).toMatchObject({ inPlace: true });
    expect(await snapshot(source)).toEqual(before);
    expect(filesBelow(join(filesTo, 'uploads'))).toEqual(files);

    // Damage, then restore in place over a live database: a safety backup of the damaged state first.
    await runSql(source, 'DELETE FROM sub_queues');
    const damaged = await snapshot(source);
    const again = await h.restores.restore({ name: '2026-11-21-02-00-00', onlyDb: true, force: true });
    expect(again.safetyBackup).toMatch(/^restore-app\/pre-restore-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.zip$/);
    expect(existsSync(join(appRoot, 'storage', 'backups', again.safetyBackup!))).toBe(true);
    expect(await snapshot(source)).toEqual(before);
    // The safety backup really holds the damaged state: restore it beside and look.
    const fromSafety = kind === 'sqlite' ? join(appRoot, 'safety-check.db') : `${source.database}_safe`;
    extra.push(async () => (kind === 'sqlite' ? undefined : loaderFor(source.driver).dropDatabase(source, fromSafety)));
    await h.restores.restore({ name: again.safetyBackup!, toDatabase: fromSafety });
    expect(await snapshot({ ...source, database: fromSafety })).toEqual(damaged);
  });
});
