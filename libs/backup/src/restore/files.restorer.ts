import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, lstat, mkdir, rename, rm, utimes } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { assertSafeEntryName, Manifest, UnsafeEntryNameError, ZipReader } from '../archive';

const FILES_PREFIX = 'files/';

/** A file entry of the archive and where it goes. */
export interface FileToRestore {
  entry: string;
  /** Path below the restore root ('/' separators). */
  relativePath: string;
  target: string;
  size: number;
  mode?: number;
  mtime: Date;
}

/**
 * Plans where every `files/...` entry lands under `root` and refuses the whole restore before
 * writing anything when one of them would land outside it (zip-slip) or go through a symlink.
 */
export async function planFiles(zip: ZipReader, manifest: Manifest, root: string): Promise<FileToRestore[]> {
  const base = resolve(root);
  const info = new Map(zip.entries().map((e) => [e.name, e]));
  const planned: FileToRestore[] = [];
  for (const listed of manifest.entries) {
    if (listed.kind !== 'file' || !listed.path.startsWith(FILES_PREFIX)) continue;
    assertSafeEntryName(listed.path);
    const relativePath = listed.path.slice(FILES_PREFIX.length);
    const target = resolve(base, ...relativePath.split('/'));
    const rel = relative(base, target);
    if (!rel || rel.startsWith('..') || isAbsolute(rel)) {
      throw new UnsafeEntryNameError(listed.path, `it would be written outside ${base}`);
    }
    await refuseSymlinkedParents(base, target, listed.path);
    const entry = info.get(listed.path);
    planned.push({ entry: listed.path, relativePath, target, size: listed.size, mode: entry?.mode, mtime: entry?.mtime ?? new Date() });
  }
  return planned;
}

/** A symlink on the way (planted in the target folder) could point anywhere: refuse it. */
async function refuseSymlinkedParents(base: string, target: string, entry: string): Promise<void> {
  let dir = dirname(target);
  while (dir.length > base.length && (dir + sep).startsWith(base + sep)) {
    const st = await lstat(dir).catch(() => undefined);
    if (st?.isSymbolicLink()) throw new UnsafeEntryNameError(entry, `its folder ${dir} is a symbolic link`);
    if (st && !st.isDirectory()) throw new UnsafeEntryNameError(entry, `${dir} exists and is not a folder`);
    dir = dirname(dir);
  }
  const self = await lstat(target).catch(() => undefined);
  if (self && !self.isFile()) throw new UnsafeEntryNameError(entry, `${target} exists and is not a regular file`);
}

/**
 * Writes each file to a temporary name beside its target and renames it into place only after
 * its entry streamed to the end with every check passing, so no partial or unverified file is
 * ever left under a real name.
 */
export async function restoreFiles(zip: ZipReader, files: FileToRestore[]): Promise<{ count: number; bytes: number }> {
  let bytes = 0;
  for (const file of files) {
    await mkdir(dirname(file.target), { recursive: true });
    const temp = join(dirname(file.target), `.${basename(file.target)}.restore-${randomBytes(6).toString('hex')}.tmp`);
    try {
      await pipeline(await zip.openEntry(file.entry), createWriteStream(temp, { flags: 'wx', mode: 0o600 }));
      await chmod(temp, file.mode ? file.mode & 0o777 : 0o644);
      await utimes(temp, file.mtime, file.mtime);
      await rename(temp, file.target);
      bytes += file.size;
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }
  return { count: files.length, bytes };
}
