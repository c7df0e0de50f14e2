/**
 * Fault class "damaged-archive": one real backup (PostgreSQL demo data and uploaded files, the
 * compiled CLI), then for every byte class of the archive a copy with one byte flipped: a local
 * header (signature, file name), an entry's encrypted data, its HMAC, its central directory
 * record (file name, CRC-32), the end-of-central-directory record, and the manifest entry.
 * `backup:verify` and `backup:restore --force --to-database` must each exit non-zero with a
 * message that names the fault, and nothing may be restored: the target database does not
 * exist, no file is written, no safety backup is taken, the source database is unchanged.
 * A control case first proves the same commands verify and restore the undamaged archive.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listFiles, runCli, tempAppDir } from '../support/cli';
import { ADMIN, createTestDatabase, runSql, tableContents, TestDatabase, uniqueName } from '../support/databases';
import { baseEnv, dbUrl, faultCase, faultClass } from './faults.fixtures';
import { flipByte, ZipLayout, zipLayout } from './zip-damage';

const tally = faultClass('damaged-archive');

interface Damage {
  what: string;
  /** The byte to flip, from the undamaged archive's layout. */
  offset(layout: ZipLayout): number;
  /** What the error must say. */
  message: RegExp;
  /** The byte's new value (default: its lowest bit flipped). */
  flip?: (byte: number) => number;
}

function damaged(original: Buffer, damage: Damage, layout: ZipLayout): Buffer {
  if (!damage.flip) return flipByte(original, damage.offset(layout));
  const copy = Buffer.from(original);
  copy[damage.offset(layout)] = damage.flip(copy[damage.offset(layout)]) & 0xff;
  return copy;
}

const dumpOf = (l: ZipLayout) => l.entries.find((e) => e.name.startsWith('db-dumps/'))!;
const manifestOf = (l: ZipLayout) => l.entries.find((e) => e.name === 'manifest.json')!;
const uploadOf = (l: ZipLayout) => l.entries.find((e) => e.name.startsWith('files/') && !e.name.endsWith(LARGE_UPLOAD))!;
const LARGE_UPLOAD = 'large-upload.bin';
const largeUploadOf = (l: ZipLayout) => l.entries.find((e) => e.name.endsWith(LARGE_UPLOAD))!;

const DAMAGES: Damage[] = [
  {
    what: 'local header signature of the dump entry',
    offset: (l) => dumpOf(l).localHeader + 1,
    message: /"db-dumps\/[^"]+" is corrupt: the local header is damaged \(invalid local file header signature/,
  },
  {
    what: 'local header file name of the dump entry',
    offset: (l) => dumpOf(l).localHeader + 30 + 3,
    message: /"db-dumps\/[^"]+" is corrupt: the local header names another file than the central directory/,
  },
  // An uploaded file's header is checked as the restore writes it under a temporary name (not
  // in a pass of its own before): still refused before anything is in place.
  {
    what: 'local header signature of an uploaded file',
    offset: (l) => uploadOf(l).localHeader + 1,
    message: /"files\/[^"]+" is corrupt: the local header is damaged \(invalid local file header signature/,
  },
  {
    what: 'local header file name of an uploaded file',
    offset: (l) => uploadOf(l).localHeader + 30 + 3,
    message: /"files\/[^"]+" is corrupt: the local header names another file than the central directory/,
  },
  {
    what: 'local header file name of an upload over 1 MiB (streamed)',
    offset: (l) => largeUploadOf(l).localHeader + 30 + 3,
    message: /"files\/[^"]+large-upload\.bin" is corrupt: the local header names another file than the central directory/,
  },
  {
    what: 'encrypted data of the dump entry',
    offset: (l) => dumpOf(l).data + Math.floor(dumpOf(l).compressedSize / 2),
    message: /"db-dumps\/[^"]+" is corrupt: the authentication code \(HMAC\) does not match/,
  },
  {
    what: 'HMAC of the dump entry',
    offset: (l) => dumpOf(l).data + dumpOf(l).compressedSize - 5,
    message: /"db-dumps\/[^"]+" is corrupt: the authentication code \(HMAC\) does not match/,
  },
  {
    what: 'central directory file name of the dump entry',
    offset: (l) => dumpOf(l).centralName + 3,
    message: /local header names another file than the central directory[\s\S]*listed in manifest\.json but missing from the archive/,
  },
  {
    what: 'central directory CRC-32 of the dump entry',
    offset: (l) => dumpOf(l).centralRecord + 16,
    message: /"db-dumps\/[^"]+" is corrupt: CRC-32 mismatch/,
  },
  // A count raised reads past the last record (reported as truncation, a known gap in wording);
  // one lowered would hide the last entries, manifest.json among them: refused as corrupt.
  {
    what: 'end of central directory record (entry count)',
    offset: (l) => l.endOfCentralDirectory + 10,
    message:
      /The archive is truncated or cut off|the end of central directory record counts \d+ entries, but the central directory holds more/,
  },
  {
    what: 'end of central directory record (entry count, one fewer)',
    offset: (l) => l.endOfCentralDirectory + 10,
    flip: (b) => b - 1,
    message: /The archive is corrupt: the end of central directory record counts \d+ entries, but the central directory holds more/,
  },
  {
    what: 'encrypted data of the manifest entry',
    offset: (l) => manifestOf(l).data + Math.floor(manifestOf(l).compressedSize / 2),
    message: /"manifest\.json" is corrupt: the authentication code \(HMAC\) does not match/,
  },
];

describe('fault class damaged-archive: one byte flipped per byte class; verify and restore refuse', () => {
  let app: ReturnType<typeof tempAppDir>;
  let db: TestDatabase;
  let env: Record<string, string>;
  let folder: string;
  let original: Buffer;
  let layout: ZipLayout;
  let before: Awaited<ReturnType<typeof tableContents>>;
  const targets: string[] = [];

  beforeAll(async () => {
    app = tempAppDir('nest-backup-damaged-');
    db = await createTestDatabase('postgres', 'damaged');
    env = baseEnv('damaged-app', { DB_URL: dbUrl(db.connection), BACKUP_INCLUDE: 'storage/app' });
    expect((await runCli(['demo:seed', '--tenants', '2', '--rows', '4'], env, app.dir)).code).toBe(0);
    // An upload over 1 MiB, which a restore streams instead of taking it from a batched read.
    fs.writeFileSync(path.join(app.dir, 'storage/app', LARGE_UPLOAD), randomBytes(2 * 1024 * 1024));
    const run = await runCli(['backup:run', '--filename', '2020-01-01-00-00-00'], env, app.dir);
    expect(run.code).toBe(0);
    folder = path.join(app.dir, 'storage/backups/damaged-app');
    original = fs.readFileSync(path.join(folder, '2020-01-01-00-00-00.zip'));
    layout = zipLayout(original);
    expect(layout.entries.map((e) => e.name)).toEqual(
      expect.arrayContaining(['manifest.json', expect.stringMatching(/^db-dumps\//), expect.stringMatching(/^files\//)]),
    );
    before = await tableContents(db.connection);
  });
  afterAll(async () => {
    for (const t of targets) await runSql(ADMIN.postgres, `DROP DATABASE IF EXISTS "${t}" WITH (FORCE)`).catch(() => undefined);
    await db?.drop();
    app?.cleanup();
  });

  const databaseExists = async (name: string) =>
    (await runSql(ADMIN.postgres, 'SELECT 1 FROM pg_database WHERE datname = $1', [name])).length > 0;

  it('control: the undamaged archive verifies and restores with the same commands', async () => {
    const verify = await runCli(['backup:verify', '2020-01-01-00-00-00.zip'], env, app.dir);
    expect(verify.code).toBe(0);
    const target = uniqueName('ctl');
    targets.push(target);
    const filesTo = path.join(app.dir, 'restored-control');
    const restore = await runCli(
      ['backup:restore', '2020-01-01-00-00-00.zip', '--force', '--to-database', target, '--files-to', filesTo],
      env,
      app.dir,
    );
    expect(restore.code).toBe(0);
    expect(await tableContents({ ...db.connection, database: target })).toEqual(before);
    expect(listFiles(filesTo).length).toBeGreaterThan(0);
  });

  DAMAGES.forEach((damage, i) => {
    faultCase(tally, `flipped byte in the ${damage.what}: verify and restore exit non-zero, name the fault, restore nothing`, async () => {
      const name = `2020-01-01-00-01-${String(i).padStart(2, '0')}.zip`;
      fs.writeFileSync(path.join(folder, name), damaged(original, damage, layout), { mode: 0o600 });
      const folderBefore = listFiles(folder);

      const verify = await runCli(['backup:verify', name], env, app.dir);
      expect(verify.code).not.toBe(0);
      expect(verify.stdout + verify.stderr).toMatch(damage.message);

      const target = uniqueName('dmg');
      targets.push(target);
      const filesTo = path.join(app.dir, `restored-${i}`);
      const restore = await runCli(['backup:restore', name, '--force', '--to-database', target, '--files-to', filesTo], env, app.dir);
      expect(restore.code).not.toBe(0);
      expect(restore.stdout + restore.stderr).toMatch(damage.message);

      expect(await databaseExists(target)).toBe(false);
      expect(fs.existsSync(filesTo) ? listFiles(filesTo) : []).toEqual([]);
      expect(listFiles(folder)).toEqual(folderBefore); // no pre-restore safety backup, nothing else
      expect(await tableContents(db.connection)).toEqual(before);
    });
  });
});
