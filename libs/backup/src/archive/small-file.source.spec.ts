import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  openListedFile,
  readSmallFile,
  readSmallFileSync,
  SmallFileContent,
  SmallFileSource,
  UnreadableSourceError,
  WHOLE_FILE_BYTES,
} from './small-file.source';

const text = (c: SmallFileContent) => (c === 'large' ? 'large' : c.data.toString());

describe('reading a SmallFileSource, on the event loop and synchronously (a worker)', () => {
  let dir: string;
  beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), 'small-file-'))));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const ways: Array<[string, (s: SmallFileSource, into?: Buffer) => Promise<SmallFileContent>]> = [
    ['readSmallFile', (s) => readSmallFile(s)],
    ['readSmallFileSync', async (s, into) => readSmallFileSync(s, into)],
  ];

  for (const [name, read] of ways) {
    describe(name, () => {
      it('reads a file of up to WHOLE_FILE_BYTES whole, with the time and mode the open file says; a larger one is "large" (the writer streams it)', async () => {
        await writeFile(join(dir, 'exact'), 'x'.repeat(3000));
        await chmod(join(dir, 'exact'), 0o640);
        await utimes(join(dir, 'exact'), new Date('2024-02-29T12:34:56Z'), new Date('2024-02-29T12:34:56Z'));
        const exact = await read(new SmallFileSource(join(dir, 'exact')));
        expect(text(exact)).toBe('x'.repeat(3000));
        expect(exact !== 'large' && exact.facts).toEqual({ mtimeMs: Date.parse('2024-02-29T12:34:56Z'), mode: 0o640 });
        await writeFile(join(dir, 'limit'), Buffer.alloc(WHOLE_FILE_BYTES, 7));
        const limit = await read(new SmallFileSource(join(dir, 'limit')));
        expect(limit !== 'large' && limit.data.equals(Buffer.alloc(WHOLE_FILE_BYTES, 7))).toBe(true);
        await writeFile(join(dir, 'by-one'), Buffer.alloc(WHOLE_FILE_BYTES + 1, 7));
        expect(await read(new SmallFileSource(join(dir, 'by-one')))).toBe('large');
        await writeFile(join(dir, 'empty'), '');
        expect(text(await read(new SmallFileSource(join(dir, 'empty'))))).toBe('');
      });

      it('refuses a vanished file and a FIFO with UnreadableSourceError (the FIFO without blocking)', async () => {
        const missing = read(new SmallFileSource(join(dir, 'missing')));
        await expect(missing).rejects.toBeInstanceOf(UnreadableSourceError);
        await expect(missing).rejects.toThrow(`Cannot read ${join(dir, 'missing')}: ENOENT`);
        const fifo = join(dir, `fifo-${name}`);
        execFileSync('mkfifo', [fifo]);
        await expect(read(new SmallFileSource(fifo))).rejects.toThrow(/no longer a regular file/);
      });

      it('refuses a file swapped for a symbolic link (the walk skipped links), unless links are followed', async () => {
        await writeFile(join(dir, `secret-${name}`), 'not selected');
        const link = join(dir, `link-${name}`);
        await symlink(join(dir, `secret-${name}`), link);
        const refused = read(new SmallFileSource(link));
        await expect(refused).rejects.toBeInstanceOf(UnreadableSourceError);
        await expect(refused).rejects.toThrow(/is a symbolic link now, and links are not followed \(BACKUP_FOLLOW_SYMLINKS\)/);
        expect(text(await read(new SmallFileSource(link, true)))).toBe('not selected');
      });
    });
  }

  it('openListedFile (the larger files a backup streams) refuses as the readers do', async () => {
    await expect(openListedFile(join(dir, 'missing'), false)).rejects.toThrow(`Cannot read ${join(dir, 'missing')}: ENOENT`);
    await writeFile(join(dir, 'large-target'), 'x');
    await symlink(join(dir, 'large-target'), join(dir, 'large-link'));
    const refused = openListedFile(join(dir, 'large-link'), false);
    await expect(refused).rejects.toBeInstanceOf(UnreadableSourceError);
    await expect(refused).rejects.toThrow(/is a symbolic link now/);
    const followed = await openListedFile(join(dir, 'large-link'), true);
    expect((await followed.readFile()).toString()).toBe('x');
    await followed.close();
  });

  it("reads into the caller's buffer when it is large enough, else into one of its own", async () => {
    await writeFile(join(dir, 'into'), 'hello');
    const into = Buffer.alloc(64);
    const content = readSmallFileSync(new SmallFileSource(join(dir, 'into')), into);
    expect(text(content)).toBe('hello');
    expect(content !== 'large' && content.data.buffer).toBe(into.buffer);
    const own = readSmallFileSync(new SmallFileSource(join(dir, 'into')), Buffer.alloc(3));
    expect(own !== 'large' && own.data.buffer).not.toBe(into.buffer);
    expect(text(own)).toBe('hello');
  });
});
