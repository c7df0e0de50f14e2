import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { appendFile, chmod, mkdir, readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type * as ArchiveApi from '../../libs/backup/src/archive';
import type * as PoolApi from '../../libs/backup/src/archive/entry-worker.pool';
import { extractWith7z } from '../support/seven-zip';
import { PASSWORD, sqlText, tempDir } from './archive.fixtures';

/**
 * Small files handed to the archive writer by path (SmallFileSource) are read and encoded on a
 * worker thread in one job, or on the calling thread when no worker can take them. Both ways
 * give the same archive, leave out a file that vanished or is no longer a regular file (the
 * archive goes on), stream a file larger than WHOLE_FILE_BYTES, and take each entry's time and
 * mode from the open file (the backup's walk does not stat files). Workers run from the
 * compiled library only, so this test loads the build, as an installed package would be.
 */
const DIST = resolve(__dirname, '../../libs/backup/dist/archive');
if (!existsSync(join(DIST, 'entry.worker.js')))
  throw new Error(`${DIST}/entry.worker.js is missing: run \`npm run build\` first (npm test does)`);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { SmallFileSource, UnreadableSourceError, WHOLE_FILE_BYTES, ZipReader, ZipWriter } = require(DIST) as typeof ArchiveApi;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { EntryWorkerPool } = require(join(DIST, 'entry-worker.pool')) as typeof PoolApi;

describe('small files read by the archive itself (SmallFileSource)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempDir()));
  afterAll(() => cleanup());

  async function tree(name: string): Promise<{ root: string; files: Array<{ name: string; path: string; data: Buffer }> }> {
    const root = join(dir, name);
    await mkdir(root, { recursive: true });
    const files: Array<{ name: string; path: string; data: Buffer }> = [];
    for (let i = 0; i < 60; i++) {
      const size = [0, 1, 20, 4_000, 70_000, 300_000][i % 6];
      const data = i % 2 === 0 ? sqlText(Math.ceil(size / 90) + 1, i).subarray(0, size) : randomBytes(size);
      const path = join(root, `upload-${i}.bin`);
      await writeFile(path, data);
      files.push({ name: `files/upload-${i}.bin`, path, data });
    }
    return { root, files };
  }

  for (const threads of [2, 0]) {
    for (const encryption of ['aes256', 'none'] as const) {
      it(`${threads ? 'on workers' : 'on the calling thread'}, ${encryption}: every file byte-identical for 7-Zip and the reader, with its own time and mode; a vanished file and a FIFO left out, a large file streamed whole`, async () => {
        const { root, files } = await tree(`t${threads}-${encryption}`);
        const vanished = join(root, 'vanished.bin');
        const fifo = join(root, 'was-a-file');
        execFileSync('mkfifo', [fifo]);
        // 70,000 bytes each, and 1.2 MiB more: over WHOLE_FILE_BYTES, found so when opened;
        // four of them, more than the writer lets stream ahead of their turn (StreamsAhead).
        const larges = [files[4], files[10], files[16], files[22]];
        for (const f of larges) {
          const more = randomBytes(1_200_000);
          await appendFile(f.path, more);
          f.data = Buffer.concat([f.data, more]);
          expect(f.data.length).toBeGreaterThan(WHOLE_FILE_BYTES);
        }
        const large = larges[0];
        // Times and modes the writer must take from the files, not from the entry's meta.
        const stamped = [files[1], files[2], large];
        for (const [i, f] of stamped.entries()) {
          await chmod(f.path, [0o600, 0o755, 0o640][i]);
          await utimes(f.path, new Date(Date.UTC(2021, i, 3, 4, 5, 6)), new Date(Date.UTC(2021, i, 3, 4, 5, 6)));
        }
        const password = encryption === 'aes256' ? PASSWORD : undefined;
        const archive = join(dir, `t${threads}-${encryption}.zip`);
        const writer = new ZipWriter({ encryption, password, appName: 'test-app', threads });
        const written = pipeline(writer.output, createWriteStream(archive));
        const outcomes = await Promise.allSettled([
          writer.addEntry('files/vanished.bin', new SmallFileSource(vanished), { kind: 'file' }),
          ...files.map((f) => writer.addEntry(f.name, new SmallFileSource(f.path), { kind: 'file', mtime: new Date(0), mode: 0o777 })),
          writer.addEntry('files/was-a-file', new SmallFileSource(fifo), { kind: 'file' }),
        ]);
        const summary = await writer.finish();
        await written;

        const [first, ...rest] = outcomes;
        const last = rest.pop()!;
        expect(first.status).toBe('rejected');
        expect((first as PromiseRejectedResult).reason).toBeInstanceOf(UnreadableSourceError);
        expect((first as PromiseRejectedResult).reason.message).toContain(`Cannot read ${vanished}: ENOENT`);
        expect(last.status).toBe('rejected');
        expect((last as PromiseRejectedResult).reason).toBeInstanceOf(UnreadableSourceError);
        expect((last as PromiseRejectedResult).reason.message).toContain('no longer a regular file');
        expect(rest.every((o) => o.status === 'fulfilled')).toBe(true);
        expect(summary.entries.map((e) => e.path)).toEqual(files.map((f) => f.name));
        for (const f of larges) expect(summary.entries.find((e) => e.path === f.name)?.size).toBe(f.data.length);

        const out = join(dir, `t${threads}-${encryption}-7z`);
        const result = await extractWith7z(archive, out, password);
        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
        for (const f of files) expect((await readFile(join(out, f.name))).equals(f.data)).toBe(true);
        expect(existsSync(join(out, 'files/vanished.bin'))).toBe(false);
        expect(existsSync(join(out, 'files/was-a-file'))).toBe(false);
        const reader = await ZipReader.open(archive, { password });
        try {
          expect((await reader.verify()).faults).toEqual([]);
          for (const [i, f] of stamped.entries()) {
            const info = reader.entry(f.name);
            expect(info?.mtime.toISOString()).toBe(new Date(Date.UTC(2021, i, 3, 4, 5, 6)).toISOString());
            expect((info?.mode ?? 0) & 0o7777).toBe([0o600, 0o755, 0o640][i]);
          }
        } finally {
          await reader.close();
        }
      });
    }
  }

  it('the worker pool reads and encodes a file in one job: the facts of its content and of the file, "large", or UnreadableSourceError', async () => {
    const pool = new EntryWorkerPool(PASSWORD, 1);
    try {
      await pool.whenReady();
      const path = join(dir, 'pool.txt');
      const data = sqlText(500);
      await writeFile(path, data);
      await chmod(path, 0o604);
      await utimes(path, new Date('2022-05-06T07:08:09Z'), new Date('2022-05-06T07:08:09Z'));
      const encoded = await pool.encodeFile(new SmallFileSource(path), 6, 'file');
      if (encoded === 'large' || encoded === undefined) throw new Error('no encoding');
      expect(encoded.encoded.size).toBe(data.length);
      expect(encoded.encoded.sha256).toBe(require('node:crypto').createHash('sha256').update(data).digest('hex'));
      expect(encoded.facts).toEqual({ mtimeMs: Date.parse('2022-05-06T07:08:09Z'), mode: 0o604 });
      const big = join(dir, 'pool-big.bin');
      await writeFile(big, Buffer.alloc(WHOLE_FILE_BYTES + 1));
      expect(await pool.encodeFile(new SmallFileSource(big), 6, 'file')).toBe('large');
      await expect(pool.encodeFile(new SmallFileSource(join(dir, 'nope')), 6, 'file')).rejects.toBeInstanceOf(UnreadableSourceError);
      // A FIFO is opened without blocking the worker, and refused.
      const fifo = join(dir, 'pool-fifo');
      execFileSync('mkfifo', [fifo]);
      await expect(pool.encodeFile(new SmallFileSource(fifo), 6, 'file')).rejects.toThrow(/no longer a regular file/);
      // A link is refused on the worker too, unless the source says links are followed.
      const link = join(dir, 'pool-link');
      await symlink(path, link);
      await expect(pool.encodeFile(new SmallFileSource(link), 6, 'file')).rejects.toThrow(/symbolic link now/);
      const followed = await pool.encodeFile(new SmallFileSource(link, true), 6, 'file');
      expect(followed !== 'large' && followed?.encoded.size).toBe(data.length);
    } finally {
      await pool.close();
    }
  });
});
