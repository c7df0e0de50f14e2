/**
 * Files restored in place, through the real CLI (SQLite app, local disk): the whole plan is
 * checked before the first write (a conflict inside the archive, a symbolic link entry and two
 * spellings of one path are all refused together, nothing written), and the files a restore
 * overwrites are in its safety backup with their old content.
 */
import { createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipReader, ZipWriter } from '../../libs/backup/src/archive';
import { runCli, tempAppDir } from '../support/cli';

const PASSWORD = 'files-safety-password-0123456789-abcdefgh';
const NAME = 'files-safety';
const env = (dbFile: string) => ({
  APP_NAME: NAME,
  DB_URL: `sqlite:${dbFile}`,
  BACKUP_ARCHIVE_PASSWORD: PASSWORD,
  BACKUP_INCLUDE: 'storage/app',
  BACKUP_FAILURE_NOTIFICATIONS: '',
  BACKUP_HEALTH_NOTIFICATIONS: '',
  BACKUP_SUCCESS_NOTIFICATIONS: '',
  BACKUP_AUDIT: 'off',
});

/** An archive as this library writes it, with hand-picked file entries (name, content, unix mode). */
async function craftArchive(path: string, entries: Array<[string, string, number?]>): Promise<void> {
  const writer = new ZipWriter({ encryption: 'aes256', password: PASSWORD, appName: NAME });
  const written = pipeline(writer.output, createWriteStream(path));
  for (const [name, content, mode] of entries)
    await writer.addEntry(name, Readable.from([Buffer.from(content)]), { kind: 'file', mode, mtime: new Date() });
  await writer.finish({ databases: [], unreadableFiles: [] });
  await written;
}

async function entryText(zip: ZipReader, name: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of await zip.openEntry(name)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('backup:restore of files: plan checked before the first write, overwritten files in the safety backup', () => {
  let app: ReturnType<typeof tempAppDir>;
  let dbFile: string;
  let folder: string;

  beforeAll(async () => {
    app = tempAppDir('nbt-files-safety-');
    dbFile = join(app.dir, 'app.db');
    expect((await runCli(['demo:seed', '--tenants', '1', '--rows', '2'], env(dbFile), app.dir)).code).toBe(0);
    mkdirSync(join(app.dir, 'storage/app/sub'), { recursive: true });
    folder = join(app.dir, 'storage/backups', NAME);
    mkdirSync(folder, { recursive: true });
  });
  afterAll(() => app?.cleanup());

  it('refuses an archive with conflicts, lists every one, and writes nothing (not even the files before them)', async () => {
    const appFiles = join(app.dir, 'storage/app');
    writeFileSync(join(appFiles, 'a.txt'), 'live a');
    await craftArchive(join(folder, '2026-01-01-00-00-01.zip'), [
      ['files/storage/app/a.txt', 'archived a'], // harmless, first: the old restore wrote it before failing
      ['files/storage/app/x', 'x as a file'],
      ['files/storage/app/x/y.txt', 'x as a folder'], // x is a file and a folder in the same archive
      ['files/storage/app/link', '/etc/passwd', 0o120777], // a symbolic link entry
      ['files/storage/app/./d.txt', 'first d'],
      ['files/storage/app/d.txt', 'second d'], // the same file as ./d.txt
    ]);
    const r = await runCli(['backup:restore', '2026-01-01-00-00-01.zip', '--only-files', '--force'], env(dbFile), app.dir);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/3 conflict\(s\), nothing was written/);
    expect(r.stderr).toMatch(/files\/storage\/app\/x\/y\.txt: its folder storage\/app\/x is a file in the archive too/);
    expect(r.stderr).toMatch(/files\/storage\/app\/link: it is a symbolic link; links are not restored/);
    expect(r.stderr).toMatch(/files\/storage\/app\/d\.txt: names the same file as "files\/storage\/app\/\.\/d\.txt"/);
    expect(readFileSync(join(appFiles, 'a.txt'), 'utf8')).toBe('live a');
    for (const name of ['x', 'link', 'd.txt']) expect(existsSync(join(appFiles, name))).toBe(false);
    expect(readdirSync(appFiles).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a file on disk where the archive needs a folder, before writing the files ahead of it', async () => {
    const appFiles = join(app.dir, 'storage/app');
    writeFileSync(join(appFiles, 'a.txt'), 'live a');
    writeFileSync(join(appFiles, 'blocker'), 'a file, not a folder');
    await craftArchive(join(folder, '2026-01-01-00-00-02.zip'), [
      ['files/storage/app/a.txt', 'archived a'],
      ['files/storage/app/sub/ok.txt', 'fine'],
      ['files/storage/app/blocker/inside.txt', 'needs blocker to be a folder'],
    ]);
    const r = await runCli(['backup:restore', '2026-01-01-00-00-02.zip', '--only-files', '--force'], env(dbFile), app.dir);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /1 conflict\(s\), nothing was written[\s\S]*blocker is a file where the archive needs a folder[\s\S]*--files-to/,
    );
    expect(readFileSync(join(appFiles, 'a.txt'), 'utf8')).toBe('live a');
    expect(existsSync(join(appFiles, 'sub/ok.txt'))).toBe(false);
    rmSync(join(appFiles, 'blocker'));
  });

  it('an in-place restore keeps the old content of every file it overwrites in the safety backup', async () => {
    const appFiles = join(app.dir, 'storage/app');
    writeFileSync(join(appFiles, 'a.txt'), 'version 1');
    writeFileSync(join(appFiles, 'sub/b.txt'), 'b version 1');
    const run = await runCli(['backup:run'], env(dbFile), app.dir);
    expect(run.code).toBe(0);
    writeFileSync(join(appFiles, 'a.txt'), 'version 2, written after the backup');
    writeFileSync(join(appFiles, 'sub/b.txt'), 'b version 2');

    const r = await runCli(['backup:restore', '--latest', '--force'], env(dbFile), app.dir);
    expect(r.code).toBe(0);
    expect(readFileSync(join(appFiles, 'a.txt'), 'utf8')).toBe('version 1');
    expect(readFileSync(join(appFiles, 'sub/b.txt'), 'utf8')).toBe('b version 1');
    const safety = /Safety backup of the previous state: (\S+) on local/.exec(r.stdout)?.[1];
    expect(safety).toMatch(/^files-safety\/pre-restore-/);

    const zip = await ZipReader.open(join(app.dir, 'storage/backups', safety!), { password: PASSWORD });
    try {
      const manifest = await zip.readManifest();
      // The seeded tenant files are overwritten too (with the same bytes), so they are in it as well.
      expect(manifest.entries.map((e) => e.path)).toEqual(
        expect.arrayContaining(['db-dumps/sqlite-app.sql', 'files/storage/app/a.txt', 'files/storage/app/sub/b.txt']),
      );
      expect(await entryText(zip, 'files/storage/app/a.txt')).toBe('version 2, written after the backup');
      expect(await entryText(zip, 'files/storage/app/sub/b.txt')).toBe('b version 2');
    } finally {
      await zip.close();
    }
  });
});
