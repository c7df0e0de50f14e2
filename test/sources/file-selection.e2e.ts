/**
 * File selection on a real directory tree: include/exclude paths and globs, symlinks, the backup
 * folder, a path outside the root and files that cannot be read.
 * Tests run as root, for whom chmod 000 changes nothing, so "cannot be read" is shown with a
 * FIFO (a special file) and a dangling symlink with followSymlinks on.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSelectionOptions, ListedFile, selectFiles, SelectedFile, UnreadableFile } from '../../libs/backup/src/sources/file-selection';

let base: string;
let root: string;
let outside: string;

async function collect(options: Partial<Parameters<typeof selectFiles>[0]>) {
  const files: SelectedFile[] = [];
  const unreadable: UnreadableFile[] = [];
  for await (const f of selectFiles({ root, include: ['.'], exclude: [], alwaysExclude: [], ...options })) {
    if ('unreadable' in f) unreadable.push(f);
    else files.push(f);
  }
  return { files, unreadable, paths: files.map((f) => f.archivePath) };
}

function write(path: string, content = 'x') {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
}

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'nbt-files-'));
  root = join(base, 'app');
  outside = join(base, 'shared');
  write(join(root, 'README.md'), 'hello');
  write(join(root, 'storage/app/uploads/a.png'), 'png-bytes');
  write(join(root, 'storage/app/uploads/b.tmp'));
  write(join(root, 'storage/app/cache/c.txt'));
  write(join(root, 'storage/logs/app.log'));
  write(join(root, 'storage/backups/my-app/2024.zip'));
  write(join(root, 'node_modules/pkg/index.js'));
  write(join(root, 'src/deep/nested/file.ts'));
  write(join(outside, 'contracts/contract.pdf'), 'pdf');
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

describe('selectFiles', () => {
  it('takes include paths and leaves out exclude paths, globs and the backup folder', async () => {
    const { paths, unreadable } = await collect({
      include: ['.'],
      exclude: ['node_modules', 'storage/app/cache', '*.tmp', 'storage/logs/**'],
      alwaysExclude: [join(root, 'storage/backups')],
    });
    expect(unreadable).toEqual([]);
    expect(paths).toEqual(['files/README.md', 'files/src/deep/nested/file.ts', 'files/storage/app/uploads/a.png']);
  });

  it('includes by glob, relative to the root or by name at any depth', async () => {
    expect((await collect({ include: ['storage/**/*.png', '*.md'] })).paths).toEqual([
      'files/storage/app/uploads/a.png',
      'files/README.md',
    ]);
    expect((await collect({ include: ['**/*.ts'] })).paths).toEqual(['files/src/deep/nested/file.ts']);
  });

  it('reports size, mtime and mode of each file', async () => {
    const file = join(root, 'storage/app/uploads/a.png');
    chmodSync(file, 0o640);
    const when = new Date('2023-05-06T07:08:09Z');
    utimesSync(file, when, when);
    const { files } = await collect({ include: ['storage/app/uploads/a.png'] });
    expect(files).toEqual([{ absolutePath: file, archivePath: 'files/storage/app/uploads/a.png', size: 9, mtime: when, mode: 0o640 }]);
  });

  it('stores a path outside the root by its absolute path, never with ..', async () => {
    const { paths } = await collect({ include: ['README.md', '../shared'] });
    expect(paths).toEqual(['files/README.md', `files/${join(outside, 'contracts/contract.pdf').slice(1)}`]);
    expect(paths.join()).not.toContain('..');
  });

  it('yields a file once even when two includes cover it', async () => {
    const { paths } = await collect({
      include: ['storage/app', 'storage/app/uploads', 'storage/**/*.png'],
      exclude: ['storage/app/cache'],
    });
    expect(paths).toEqual(['files/storage/app/uploads/a.png', 'files/storage/app/uploads/b.tmp']);
  });

  it('does not follow symlinks unless asked, and then never into the backup folder', async () => {
    symlinkSync(outside, join(root, 'link-to-shared'));
    symlinkSync(join(root, 'storage/backups'), join(root, 'link-to-backups'));
    symlinkSync(root, join(root, 'src/loop'));
    const alwaysExclude = [join(root, 'storage/backups')];
    const plain = await collect({ include: ['link-to-shared', 'link-to-backups', 'src'], alwaysExclude });
    expect(plain.paths).toEqual(['files/src/deep/nested/file.ts']);

    const followed = await collect({
      include: ['link-to-shared', 'link-to-backups', 'src'],
      alwaysExclude,
      followSymlinks: true,
      exclude: ['node_modules'],
    });
    expect(followed.paths).toContain('files/link-to-shared/contracts/contract.pdf');
    expect(followed.paths.some((p) => p.includes('2024.zip'))).toBe(false);
    // src/loop -> root is followed, and cut where it comes back to src (a folder already open).
    expect(followed.paths).toContain('files/src/loop/README.md');
    expect(followed.paths.filter((p) => p.endsWith('nested/file.ts'))).toEqual(['files/src/deep/nested/file.ts']);
    expect(followed.unreadable).toEqual([]);
  });

  it('reports unreadable entries instead of skipping them: a FIFO, a dangling followed symlink', async () => {
    execFileSync('mkfifo', [join(root, 'storage/app/uploads/pipe')]);
    symlinkSync(join(root, 'gone.txt'), join(root, 'storage/app/uploads/dangling'));
    const { paths, unreadable } = await collect({ include: ['storage/app/uploads'], followSymlinks: true });
    expect(paths).toEqual(['files/storage/app/uploads/a.png', 'files/storage/app/uploads/b.tmp']);
    expect(unreadable.map((u) => [u.absolutePath, u.error.message])).toEqual([
      [join(root, 'storage/app/uploads/dangling'), expect.stringMatching(/symbolic link whose target cannot be read.*ENOENT/)],
      [join(root, 'storage/app/uploads/pipe'), expect.stringMatching(/named pipe \(FIFO\), which cannot be backed up/)],
    ]);
  });

  it('reports an include path that does not exist', async () => {
    const { unreadable } = await collect({ include: ['missing-folder'] });
    expect(unreadable).toHaveLength(1);
    expect(unreadable[0].absolutePath).toBe(join(root, 'missing-folder'));
    expect((unreadable[0].error as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it("statFiles false (the backup's walk): the same selection in the same order, regular files listed without a stat", async () => {
    symlinkSync(outside, join(root, 'link-to-shared'));
    symlinkSync(join(root, 'storage/backups'), join(root, 'link-to-backups'));
    symlinkSync(root, join(root, 'src/loop'));
    execFileSync('mkfifo', [join(root, 'storage/app/uploads/pipe')]);
    symlinkSync(join(root, 'gone.txt'), join(root, 'storage/app/uploads/dangling'));
    const alwaysExclude = [join(root, 'storage/backups')];
    const cases: Array<Partial<FileSelectionOptions>> = [
      { include: ['.'], exclude: ['node_modules', 'storage/app/cache', '*.tmp', 'storage/logs/**'], alwaysExclude },
      { include: ['storage/**/*.png', '*.md'] },
      { include: ['README.md', '../shared'] },
      { include: ['storage/app', 'storage/app/uploads', 'storage/**/*.png'], exclude: ['storage/app/cache'] },
      { include: ['link-to-shared', 'link-to-backups', 'src'], alwaysExclude },
      { include: ['link-to-shared', 'link-to-backups', 'src'], alwaysExclude, followSymlinks: true, exclude: ['node_modules'] },
      { include: ['storage/app/uploads'], followSymlinks: true },
      { include: ['.', 'missing-folder'], exclude: ['node_modules'], alwaysExclude },
    ];
    const walk = async (options: Partial<FileSelectionOptions>, statFiles: boolean) => {
      const out: Array<SelectedFile | ListedFile | UnreadableFile> = [];
      const all = { root, include: ['.'], exclude: [], alwaysExclude: [], ...options };
      for await (const f of statFiles ? selectFiles(all) : selectFiles({ ...all, statFiles: false })) out.push(f);
      return out;
    };
    const summary = (fs: Array<SelectedFile | ListedFile | UnreadableFile>) =>
      fs.map((f) => ('unreadable' in f ? `unreadable ${f.absolutePath}: ${f.error.message}` : `${f.archivePath} <- ${f.absolutePath}`));
    for (const options of cases) {
      const stated = await walk(options, true);
      const listed = await walk(options, false);
      expect(summary(listed)).toEqual(summary(stated));
      expect(stated.length).toBeGreaterThan(0);
    }
    // What a folder's listing says is a regular file comes without a stat; an include naming a
    // file is stat-ed (it is not in a listing), and so is what is not a regular file.
    const listed = await walk({ include: ['storage/app/uploads', 'README.md'], followSymlinks: true }, false);
    expect(
      listed.map((f) =>
        'unreadable' in f
          ? ['unreadable', f.absolutePath]
          : 'listedOnly' in f
            ? ['listed', f.archivePath]
            : ['stat', f.archivePath, f.size],
      ),
    ).toEqual([
      ['listed', 'files/storage/app/uploads/a.png'],
      ['listed', 'files/storage/app/uploads/b.tmp'],
      ['unreadable', join(root, 'storage/app/uploads/dangling')],
      ['unreadable', join(root, 'storage/app/uploads/pipe')],
      ['stat', 'files/README.md', 5],
    ]);
  });
});
