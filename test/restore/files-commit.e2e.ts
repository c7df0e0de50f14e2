/**
 * The last step of a files restore: the staged files are renamed into place, several at once.
 * Every file lands with its content and no temporary name is left; a rename that fails stops
 * the rest, the error is the caller's, and discard() then removes every temporary file left and
 * only the folders it made that are empty (it removed them whole, with whatever had been put in
 * place or written there since, until 2026-12-01).
 */
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ZipReader, ZipWriter } from '../../libs/backup/src/archive';
import { FileToRestore, stageFiles } from '../../libs/backup/src/restore/files.restorer';

const PASSWORD = 'files-commit-test-password-0123456789abcdef';
const COUNT = 300;

function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe('files restore: putting the staged files in place', () => {
  let dir: string;
  let archive: string;
  const content = (i: number) => Buffer.from(`file ${i}\n`.repeat(1 + (i % 50)));
  const entry = (i: number) => `files/storage/app/d${i % 7}/f-${i}.txt`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nb-files-commit-'));
    archive = join(dir, 'a.zip');
    const writer = new ZipWriter({ encryption: 'aes256', password: PASSWORD, appName: 'commit-test' });
    const written = pipeline(writer.output, createWriteStream(archive));
    await Promise.all(Array.from({ length: COUNT }, (_, i) => writer.addEntry(entry(i), content(i), { kind: 'file' })));
    await writer.finish();
    await written;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const plan = (root: string): FileToRestore[] =>
    Array.from({ length: COUNT }, (_, i) => {
      const relativePath = `storage/app/d${i % 7}/f-${i}.txt`;
      return {
        entry: entry(i),
        relativePath,
        target: join(root, relativePath),
        size: content(i).length,
        mtime: new Date('2026-01-02T03:04:05Z'),
        overwrites: false,
      };
    });

  it('every file lands with its content; no temporary name is left', async () => {
    const root = join(dir, 'ok');
    const zip = await ZipReader.open(archive, { password: PASSWORD });
    try {
      const staged = await stageFiles(zip, plan(root));
      expect(existsSync(join(root, 'storage/app/d0/f-0.txt'))).toBe(false); // nothing under a real name before commit
      expect(await staged.commit()).toEqual({ count: COUNT, bytes: plan(root).reduce((s, f) => s + f.size, 0) });
    } finally {
      await zip.close();
    }
    const files = allFiles(root);
    expect(files).toHaveLength(COUNT);
    expect(files.filter((f) => f.includes('.restore-'))).toEqual([]);
    for (let i = 0; i < COUNT; i++) expect(readFileSync(join(root, `storage/app/d${i % 7}/f-${i}.txt`)).equals(content(i))).toBe(true);
  });

  it('a rename that fails stops the commit with its error; discard() leaves no temporary file and removes no folder that holds a file', async () => {
    const root = join(dir, 'fails');
    const zip = await ZipReader.open(archive, { password: PASSWORD });
    try {
      const staged = await stageFiles(zip, plan(root));
      // Something took one target's place after staging: a folder with a file in it.
      const blocked = join(root, 'storage/app/d3/f-150.txt');
      mkdirSync(blocked);
      writeFileSync(join(blocked, 'keep.txt'), 'keep');
      await expect(staged.commit()).rejects.toMatchObject({ code: expect.stringMatching(/EISDIR|ENOTEMPTY|EEXIST/) });
      await staged.discard();
      expect(readFileSync(join(blocked, 'keep.txt'), 'utf8')).toBe('keep');
      const left = existsSync(root) ? allFiles(root) : [];
      expect(left.filter((f) => f.includes('.restore-'))).toEqual([]);
      // What was put in place before the failure stays, whole; the folder it is in is not removed.
      for (const f of left.filter((x) => !x.endsWith('keep.txt'))) {
        const i = Number(/f-(\d+)\.txt$/.exec(f)?.[1]);
        expect(readFileSync(join(root, f)).equals(content(i))).toBe(true);
      }
    } finally {
      await zip.close();
    }
  });
});
