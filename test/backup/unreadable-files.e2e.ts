/**
 * A file the walk lists but the archive cannot open when its turn comes (it vanished, lost its
 * permissions) is left out and reported, and the backup of everything else completes. Files are
 * opened by the archive (SmallFileSource): small ones on its worker thread, those over 1 MiB
 * streamed from the main thread; both kinds are in this tree. The walk does not stat a file its
 * folder's listing calls regular: each entry's time and mode come from the open file, checked
 * here on both kinds. The unopenable file is a real one: the
 * kernel's write-only /proc/sys/vm/compact_memory, which lstat calls a regular file and which
 * not even root may open for reading (this suite runs as root, where chmod 000 would not do).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listFiles, runCli, tempAppDir } from '../support/cli';
import { extractWith7z } from '../support/seven-zip';
import { ZipReader } from '../../libs/backup/src/archive';

const PASSWORD = 'correct-horse-battery-staple-0123456789';
const UNOPENABLE = '/proc/sys/vm/compact_memory';

describe('backup:run with a listed file that cannot be opened', () => {
  let app: { dir: string; cleanup: () => void };
  beforeAll(() => (app = tempAppDir()));
  afterAll(() => app.cleanup());

  it('leaves it out, names it, lists it as unreadable in the manifest, and backs up every other file', async () => {
    // The premise, checked rather than assumed: listed as a regular file, refused on open.
    expect(fs.lstatSync(UNOPENABLE).isFile()).toBe(true);
    expect(() => fs.closeSync(fs.openSync(UNOPENABLE, 'r'))).toThrow(/EACCES/);

    const uploads = path.join(app.dir, 'storage/app');
    const files = new Map<string, Buffer>();
    for (let i = 0; i < 40; i++) {
      const data = i % 2 ? randomBytes(1 + i * 997) : Buffer.from(`line ${i}\n`.repeat(50 + i * 20));
      files.set(`scan-${i}.bin`, data);
    }
    files.set('video.bin', randomBytes(3 * 1024 * 1024)); // over 1 MiB: streamed from the main thread
    fs.mkdirSync(uploads, { recursive: true });
    for (const [name, data] of files) fs.writeFileSync(path.join(uploads, name), data);
    const stamped: Array<[string, number, Date]> = [
      ['scan-3.bin', 0o600, new Date('2019-03-04T05:06:07Z')],
      ['video.bin', 0o751, new Date('2020-11-12T13:14:15Z')],
    ];
    for (const [name, mode, when] of stamped) {
      fs.chmodSync(path.join(uploads, name), mode);
      fs.utimesSync(path.join(uploads, name), when, when);
    }

    const run = await runCli(
      ['backup:run', '--only-files', '--disable-notifications'],
      {
        APP_NAME: 'clinic-saas',
        DB_URL: `sqlite:${path.join(app.dir, 'unused.sqlite')}`,
        BACKUP_DISKS: 'local',
        BACKUP_ARCHIVE_PASSWORD: PASSWORD,
        BACKUP_INCLUDE: `storage/app,${UNOPENABLE}`,
        BACKUP_FAILURE_NOTIFICATIONS: '',
        BACKUP_HEALTH_NOTIFICATIONS: '',
        BACKUP_SUCCESS_NOTIFICATIONS: '',
      },
      app.dir,
    );

    const output = run.stdout + run.stderr;
    expect(run.code).toBe(0);
    expect(output).toContain('1 file(s) could not be read and are not in the archive');
    expect(output).toContain(`${UNOPENABLE}: EACCES`);
    expect(output).toContain(`${files.size} file(s)`);

    const stored = listFiles(path.join(app.dir, 'storage/backups'));
    expect(stored).toHaveLength(1);
    const out = path.join(app.dir, 'extracted');
    const extracted = await extractWith7z(path.join(app.dir, 'storage/backups', stored[0]), out, PASSWORD);
    expect(extracted.code).toBe(0);
    for (const [name, data] of files) expect(fs.readFileSync(path.join(out, 'files/storage/app', name)).equals(data)).toBe(true);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.unreadableFiles).toEqual([UNOPENABLE]);
    expect(manifest.entries.some((e: { path: string }) => e.path.includes('compact_memory'))).toBe(false);
    expect(listFiles(out).filter((f) => f.startsWith('files/'))).toHaveLength(files.size);
    const reader = await ZipReader.open(path.join(app.dir, 'storage/backups', stored[0]), { password: PASSWORD });
    try {
      for (const [name, mode, when] of stamped) {
        const entry = reader.entry(`files/storage/app/${name}`);
        expect([entry?.mtime.toISOString(), (entry?.mode ?? 0) & 0o7777]).toEqual([when.toISOString(), mode]);
      }
    } finally {
      await reader.close();
    }
  });
});
