/**
 * Bad input to backup:restore / backup:verify: a wrong password, one flipped byte, a truncated
 * archive, an archive with a `../` entry and a name that does not exist each give a clear error,
 * and nothing changes: the live PostgreSQL database keeps its rows, no file is written, no
 * safety backup is taken.
 */
import { copyFileSync, createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as yazl from 'yazl';
import { CorruptArchiveError, TruncatedArchiveError, UnsafeEntryNameError, WrongPasswordError } from '../../libs/backup/src/archive';
import { BackupNotFoundError } from '../../libs/backup/src/restore/restore.errors';
import { ADMIN, createTestDatabase, runSql, seedDemo, TestDatabase } from '../support/databases';
import { appFolder, filesBelow, harness, Harness, optionsFor, snapshot } from './restore.fixtures';
import { entryData } from '../support/zip-entries';

/** Every database on the test server (a staging copy or a created target left behind shows here). */
async function databaseNames(): Promise<string[]> {
  const rows = await runSql(ADMIN.postgres, 'SELECT datname FROM pg_database ORDER BY datname');
  return rows.map((r) => String(r.datname));
}

describe('restore refuses bad archives and changes nothing', () => {
  let db: TestDatabase;
  let appRoot: string;
  let h: Harness;
  let folder: string;
  let goodKey: string;
  let before: Awaited<ReturnType<typeof snapshot>>;
  let filesTo: string;

  beforeAll(async () => {
    db = await createTestDatabase('postgres', 'faults');
    await seedDemo(db.connection, { tenants: 2, rowsPerTenant: 4 });
    appRoot = appFolder();
    filesTo = mkdtempSync(join(tmpdir(), 'nbt-files-to-'));
    rmSync(filesTo, { recursive: true });
    h = await harness(optionsFor({ appRoot, connection: db.connection }));
    const report = await h.backups.run({ now: new Date(Date.UTC(2026, 0, 1, 0, 0, 0)) });
    expect(report.ok).toBe(true);
    goodKey = report.key;
    folder = join(appRoot, 'storage', 'backups', 'restore-app');
    before = await snapshot(db.connection);
  });
  afterAll(async () => {
    await h?.close();
    await db?.drop();
    if (appRoot) rmSync(appRoot, { recursive: true, force: true });
    rmSync(filesTo, { recursive: true, force: true });
  });

  /** A restore that would overwrite everything (forced, in place, files beside) must fail cleanly. */
  async function expectRefused(harnessUsed: Harness, name: string, errorClass: Function, message: RegExp): Promise<void> {
    const err = await harnessUsed.restores.restore({ name, force: true, filesTo }).catch((e) => e);
    expect(err).toBeInstanceOf(errorClass);
    expect(err.message).toMatch(message);
    expect(await snapshot(db.connection)).toEqual(before);
    expect(filesBelow(filesTo)).toEqual({});
    expect(readdirSync(folder).filter((f) => f.startsWith('pre-restore-'))).toEqual([]);
  }

  it('a wrong password: WrongPasswordError, nothing changed', async () => {
    const wrong = await harness(optionsFor({ appRoot, connection: db.connection, password: 'not-the-password-it-was-made-with-000' }));
    try {
      await expectRefused(wrong, goodKey, WrongPasswordError, /Wrong password for the archive/);
      const verified = await wrong.verifier.verify({ name: goodKey });
      expect(verified.ok).toBe(false);
      expect(verified.backups[0].error).toMatch(/Wrong password/);
      expect(wrong.events.map((e) => e.name)).toEqual(['backup.verify.failed']);
    } finally {
      await wrong.close();
    }
  });

  it('one flipped byte: CorruptArchiveError naming the entry, nothing changed; verify reports it', async () => {
    const bytes = readFileSync(join(folder, '2026-01-01-00-00-00.zip'));
    bytes[Math.floor(bytes.length / 3)] ^= 0x01;
    writeFileSync(join(folder, '2026-01-01-00-00-01.zip'), bytes);
    // Found by the check before anything is touched, or (in the dump) while it loads into the
    // staging copy: either way the entry is named and nothing changed.
    await expectRefused(h, '2026-01-01-00-00-01.zip', CorruptArchiveError, /Archive entry "[^"]+" is corrupt: /);
    const verified = await h.verifier.verify({ name: '2026-01-01-00-00-01.zip' });
    expect(verified.ok).toBe(false);
    expect(verified.backups[0].faults.length).toBeGreaterThan(0);
    expect(h.events.at(-1)).toMatchObject({
      name: 'backup.verify.failed',
      payload: { backupName: 'restore-app/2026-01-01-00-00-01.zip', ok: false },
    });
  });

  it('a flipped byte inside the dump: found while it loads into a staging copy; nothing changed, no copy left', async () => {
    const bytes = readFileSync(join(folder, '2026-01-01-00-00-00.zip'));
    const dump = await entryData(join(folder, '2026-01-01-00-00-00.zip'), (name) => name.startsWith('db-dumps/'));
    // Past the 18-byte salt + verifier, before the 10-byte MAC: the ciphertext itself.
    bytes[dump.start + 18 + Math.floor((dump.length - 28) / 2)] ^= 0x01;
    writeFileSync(join(folder, '2025-12-01-00-00-00.zip'), bytes);
    const databasesBefore = await databaseNames();
    // In place over the live database (staging copy + swap) ...
    await expectRefused(
      h,
      '2025-12-01-00-00-00.zip',
      CorruptArchiveError,
      /Archive entry "db-dumps\/[^"]+" is corrupt: .*HMAC.*nothing was changed/,
    );
    // ... and into a database that does not exist yet (created, then dropped again).
    const target = `${db.connection.database}_new`;
    const err = await h.restores
      .restore({ name: '2025-12-01-00-00-00.zip', toDatabase: target, onlyDb: true, force: true })
      .catch((e) => e);
    expect(err).toBeInstanceOf(CorruptArchiveError);
    expect(await databaseNames()).toEqual(databasesBefore);
    const verified = await h.verifier.verify({ name: '2025-12-01-00-00-00.zip' });
    expect(verified.backups[0].faults.map((f) => f.entry)).toEqual([dump.name]);
  });

  it('the same flipped byte with the load over two psql sessions (BACKUP_RESTORE_JOBS=2): the same refusal, nothing changed, no copy left', async () => {
    const parallel = await harness({ ...optionsFor({ appRoot, connection: db.connection }), restore: { lockWaitSeconds: 30, jobs: 2 } });
    try {
      const databasesBefore = await databaseNames();
      await expectRefused(
        parallel,
        '2025-12-01-00-00-00.zip',
        CorruptArchiveError,
        /Archive entry "db-dumps\/[^"]+" is corrupt: .*HMAC.*nothing was changed/,
      );
      const err = await parallel.restores
        .restore({ name: '2025-12-01-00-00-00.zip', toDatabase: `${db.connection.database}_new2`, onlyDb: true, force: true })
        .catch((e) => e);
      expect(err).toBeInstanceOf(CorruptArchiveError);
      expect(await databaseNames()).toEqual(databasesBefore);
      // And the good archive loads over two sessions with every row checked.
      const good = await parallel.restores.restore({ name: '2026-01-01-00-00-00.zip', onlyDb: true, force: true, noSafetyBackup: true });
      expect(good.databases.every((d) => d.ok)).toBe(true);
      expect(await snapshot(db.connection)).toEqual(before);
    } finally {
      await parallel.close();
    }
  });

  it('a truncated archive: TruncatedArchiveError, nothing changed', async () => {
    const bytes = readFileSync(join(folder, '2026-01-01-00-00-00.zip'));
    writeFileSync(join(folder, '2026-01-01-00-00-02.zip'), bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await expectRefused(h, 'restore-app/2026-01-01-00-00-02.zip', TruncatedArchiveError, /truncated/);
  });

  it('an archive with a "../" entry: UnsafeEntryNameError, nothing written anywhere', async () => {
    const zip = new yazl.ZipFile();
    zip.addBuffer(Buffer.from('pwned'), 'files/aa/evil.txt');
    zip.end();
    const path = join(folder, '2026-01-01-00-00-03.zip');
    await pipeline(zip.outputStream as Readable, createWriteStream(path));
    const bytes = readFileSync(path);
    let at = -1;
    while ((at = bytes.indexOf('files/aa/evil.txt', at + 1)) !== -1) bytes.write('files/../evil.txt', at, 'latin1');
    writeFileSync(path, bytes);
    await expectRefused(h, '2026-01-01-00-00-03.zip', UnsafeEntryNameError, /"files\/\.\.\/evil\.txt".*\.\." segment/);
    expect(filesBelow(appRoot)['evil.txt']).toBeUndefined();
  });

  it('a name that does not exist: BackupNotFoundError listing the newest that do', async () => {
    copyFileSync(join(folder, '2026-01-01-00-00-00.zip'), join(folder, '2025-12-31-00-00-00.zip'));
    const err = await h.restores.restore({ name: '2030-01-01-00-00-00.zip', force: true }).catch((e) => e);
    expect(err).toBeInstanceOf(BackupNotFoundError);
    expect(err.message).toContain('No backup "restore-app/2030-01-01-00-00-00.zip" on disk "local"');
    // Newest first, our archives only.
    expect(err.message).toMatch(/2026-01-01-00-00-03\.zip, 2026-01-01-00-00-02\.zip, .*2025-12-31-00-00-00\.zip/);
    expect(await snapshot(db.connection)).toEqual(before);
    await expect(h.verifier.verify({ name: 'nope.zip' })).rejects.toBeInstanceOf(BackupNotFoundError);
  });
});
