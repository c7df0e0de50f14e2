import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DestinationUnreachableError,
  InvalidKeyError,
  ObjectNotFoundError,
  UploadSizeMismatchError,
} from '../../libs/backup/src/destinations/destination.errors';
import { LocalDestination } from '../../libs/backup/src/destinations/local.destination';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Every file under `dir`, relative, '/'-separated. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) =>
      path
        .relative(dir, path.join(e.parentPath ?? e.path, e.name))
        .split(path.sep)
        .join('/'),
    )
    .sort();
}

describe('LocalDestination on a real folder', () => {
  let root: string;
  let dest: LocalDestination;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'local-dest-'));
    dest = new LocalDestination({ root: path.join(root, 'backups') });
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes under a temporary 0600 name and renames it when complete', async () => {
    const data = randomBytes(300_000);
    const upload = await dest.openUpload('app/2026-11-21-02-00-00.zip');
    expect(upload.destination).toBe('local');
    upload.stream.write(data.subarray(0, 1000));
    // While in flight only the .part file exists, never the final name.
    const during = await filesUnder(path.join(root, 'backups'));
    expect(during).toHaveLength(1);
    expect(during[0]).toMatch(/^app\/2026-11-21-02-00-00\.zip\.[0-9a-f]{12}\.part$/);
    expect((await stat(path.join(root, 'backups', during[0]))).mode & 0o777).toBe(0o600);

    upload.stream.end(data.subarray(1000));
    const stored = await upload.complete(data.length);

    expect(stored).toMatchObject({ key: 'app/2026-11-21-02-00-00.zip', size: data.length });
    expect(await filesUnder(path.join(root, 'backups'))).toEqual(['app/2026-11-21-02-00-00.zip']);
    const final = path.join(root, 'backups', 'app', '2026-11-21-02-00-00.zip');
    expect((await readFile(final)).equals(data)).toBe(true);
    expect((await stat(final)).mode & 0o777).toBe(0o600);
  });

  it('an aborted upload leaves no file, not even the .part', async () => {
    const upload = await dest.openUpload('app/aborted.zip');
    upload.stream.write(randomBytes(50_000));
    await upload.abort(new Error('dump failed'));
    expect(await filesUnder(path.join(root, 'backups'))).toEqual([]);
  });

  it('a size mismatch removes the file and says so', async () => {
    const upload = await dest.openUpload('app/short.zip');
    await pipeline(Readable.from([randomBytes(100)]), upload.stream);
    await expect(upload.complete(101)).rejects.toBeInstanceOf(UploadSizeMismatchError);
    expect(await filesUnder(path.join(root, 'backups'))).toEqual([]);
  });

  it('lists by prefix, recursing, and ignores temporary .part files', async () => {
    const put = async (key: string, body: string) => {
      const u = await dest.openUpload(key);
      u.stream.end(body);
      await u.complete(Buffer.byteLength(body));
    };
    await put('app/2026-01-01-00-00-00.zip', 'a');
    await put('app/2026-01-02-00-00-00.zip', 'bb');
    await put('app/sub/2026-01-03-00-00-00.zip', 'ccc');
    await put('app-other/2026-01-01-00-00-00.zip', 'd');
    const inFlight = await dest.openUpload('app/2026-01-04-00-00-00.zip');
    inFlight.stream.write('partial');

    const list = async (prefix: string) => {
      const out: Array<{ key: string; size: number }> = [];
      for await (const o of dest.list(prefix)) out.push({ key: o.key, size: o.size });
      return out.sort((a, b) => a.key.localeCompare(b.key));
    };
    expect(await list('app/')).toEqual([
      { key: 'app/2026-01-01-00-00-00.zip', size: 1 },
      { key: 'app/2026-01-02-00-00-00.zip', size: 2 },
      { key: 'app/sub/2026-01-03-00-00-00.zip', size: 3 },
    ]);
    expect((await list('app/2026-01-0')).map((o) => o.key)).toEqual(['app/2026-01-01-00-00-00.zip', 'app/2026-01-02-00-00-00.zip']);
    expect((await list('app')).map((o) => o.key)).toContain('app-other/2026-01-01-00-00-00.zip');
    expect(await list('nothing/')).toEqual([]);
    await inFlight.abort();
  });

  it('lists nothing when the root does not exist yet', async () => {
    const fresh = new LocalDestination({ root: path.join(root, 'never-created') });
    const keys = [];
    for await (const o of fresh.list('')) keys.push(o);
    expect(keys).toEqual([]);
  });

  it('reads inclusive byte ranges, stats and deletes', async () => {
    const data = randomBytes(10_000);
    const u = await dest.openUpload('r/file.zip');
    u.stream.end(data);
    await u.complete(data.length);

    expect((await readAll(await dest.read('r/file.zip', { start: 0, end: 0 }))).equals(data.subarray(0, 1))).toBe(true);
    expect((await readAll(await dest.read('r/file.zip', { start: 5000, end: 9999 }))).equals(data.subarray(5000))).toBe(true);
    expect((await readAll(await dest.read('r/file.zip'))).equals(data)).toBe(true);
    expect(await dest.stat('r/file.zip')).toMatchObject({ key: 'r/file.zip', size: 10_000 });
    await expect(dest.read('r/missing.zip')).rejects.toBeInstanceOf(ObjectNotFoundError);
    expect(await dest.stat('r/missing.zip')).toBeNull();

    await dest.delete('r/file.zip');
    expect(await dest.stat('r/file.zip')).toBeNull();
    await expect(dest.delete('r/file.zip')).resolves.toBeUndefined();
  });

  it('openSource: many range reads through one descriptor, the same bytes as read(); a missing or escaping key refused', async () => {
    const data = randomBytes(300_000);
    const u = await dest.openUpload('s/archive.zip');
    u.stream.end(data);
    await u.complete(data.length);
    const fdsBefore = fs.readdirSync('/proc/self/fd').length;
    const source = await dest.openSource('s/archive.zip');
    try {
      expect(source.size).toBe(data.length);
      expect(fs.readdirSync('/proc/self/fd').length).toBe(fdsBefore + 1);
      for (const [start, end] of [
        [0, 0],
        [1, 29],
        [65_530, 200_000],
        [299_990, 299_999],
      ]) {
        expect((await readAll(await source.read(start, end))).equals(data.subarray(start, end + 1))).toBe(true);
      }
      // Still the one descriptor after the reads.
      expect(fs.readdirSync('/proc/self/fd').length).toBe(fdsBefore + 1);
    } finally {
      await source.close?.();
    }
    expect(fs.readdirSync('/proc/self/fd').length).toBe(fdsBefore);
    await expect(dest.openSource('s/missing.zip')).rejects.toBeInstanceOf(ObjectNotFoundError);
    await expect(dest.openSource('../outside.zip')).rejects.toBeInstanceOf(InvalidKeyError);
  });

  it('refuses keys that would escape the root', async () => {
    await expect(dest.openUpload('../outside.zip')).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(dest.openUpload('/etc/passwd')).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(dest.stat('a/../../b')).rejects.toBeInstanceOf(InvalidKeyError);
  });

  it('checkReachable creates the root, and explains when it cannot', async () => {
    await expect(dest.checkReachable()).resolves.toBeUndefined();
    expect((await stat(path.join(root, 'backups'))).isDirectory()).toBe(true);

    // A file where the root folder should be: neither creatable nor writable, even as root.
    const blocker = path.join(root, 'blocker');
    await writeFile(blocker, 'not a folder');
    const blocked = new LocalDestination({ root: path.join(blocker, 'backups') });
    const err = await blocked.checkReachable().catch((e) => e);
    expect(err).toBeInstanceOf(DestinationUnreachableError);
    expect(err.message).toContain(path.join(blocker, 'backups'));
    expect(err.message).toContain('check BACKUP_LOCAL_ROOT');
  });
});
