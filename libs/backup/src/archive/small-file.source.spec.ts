import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openListedFile, readSmallFile, readSmallFileSync, SmallFileContent, SmallFileSource, UnreadableSourceError } from './small-file.source';

const text = (c: SmallFileContent) => (c === 'grown' ? 'grown' : c.toString());

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
      it('reads a file of its listed size whole; one a byte larger is "grown" (the writer streams it)', async () => {
        await writeFile(join(dir, 'exact'), 'x'.repeat(3000));
        expect(text(await read(new SmallFileSource(join(dir, 'exact'), 3000)))).toBe('x'.repeat(3000));
        await writeFile(join(dir, 'by-one'), 'y'.repeat(3001));
        expect(await read(new SmallFileSource(join(dir, 'by-one'), 3000))).toBe('grown');
        await writeFile(join(dir, 'empty'), '');
        expect(text(await read(new SmallFileSource(join(dir, 'empty'), 0)))).toBe('');
      });

      it('takes what is there when a file shrank since the walk', async () => {
        await writeFile(join(dir, 'shrunk'), 'abcdef');
        await truncate(join(dir, 'shrunk'), 3);
        expect(text(await read(new SmallFileSource(join(dir, 'shrunk'), 6)))).toBe('abc');
      });

      it('refuses a vanished file and a FIFO with UnreadableSourceError (the FIFO without blocking)', async () => {
        const missing = read(new SmallFileSource(join(dir, 'missing'), 4));
        await expect(missing).rejects.toBeInstanceOf(UnreadableSourceError);
        await expect(missing).rejects.toThrow(`Cannot read ${join(dir, 'missing')}: ENOENT`);
        const fifo = join(dir, `fifo-${name}`);
        execFileSync('mkfifo', [fifo]);
        await expect(read(new SmallFileSource(fifo, 4))).rejects.toThrow(/no longer a regular file/);
      });

      it('refuses a file swapped for a symbolic link (the walk skipped links), unless links are followed', async () => {
        await writeFile(join(dir, `secret-${name}`), 'not selected');
        const link = join(dir, `link-${name}`);
        await symlink(join(dir, `secret-${name}`), link);
        const refused = read(new SmallFileSource(link, 12));
        await expect(refused).rejects.toBeInstanceOf(UnreadableSourceError);
        await expect(refused).rejects.toThrow(/is a symbolic link now, and links are not followed \(BACKUP_FOLLOW_SYMLINKS\)/);
        expect(text(await read(new SmallFileSource(link, 12, true)))).toBe('not selected');
      });
    });
  }

  it('openListedFile (the larger files a backup streams, a grown small file) refuses as the readers do', async () => {
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

  it('reads into the caller\'s buffer when it is large enough, else into one of its own', async () => {
    await writeFile(join(dir, 'into'), 'hello');
    const into = Buffer.alloc(64);
    const content = readSmallFileSync(new SmallFileSource(join(dir, 'into'), 5), into);
    expect(text(content)).toBe('hello');
    expect(content !== 'grown' && content.buffer).toBe(into.buffer);
    const own = readSmallFileSync(new SmallFileSource(join(dir, 'into'), 5), Buffer.alloc(3));
    expect(own !== 'grown' && own.buffer).not.toBe(into.buffer);
    expect(text(own)).toBe('hello');
  });
});
