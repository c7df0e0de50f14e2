import picomatch from 'picomatch';
import { Dirent, Stats } from 'node:fs';
import { access, lstat, readdir, realpath, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { BackupError } from '../common/backup.error';

export interface FileSelectionOptions {
  /** The app root; relative includes, excludes and archive paths are taken from here. */
  root: string;
  /** Paths (relative to root or absolute) and globs (picomatch) to back up. */
  include: string[];
  /** Paths and globs to leave out; a glob without a `/` matches a name at any depth. */
  exclude: string[];
  /** Follow symbolic links (default false: links are skipped, neither read nor descended). */
  followSymlinks?: boolean;
  /** Always left out, whatever the include list says: the backup folders themselves. */
  alwaysExclude: string[];
  /**
   * Check that each file can be read (default true) and yield it as unreadable when not. A
   * caller that opens every file straight away and reports a failure itself turns this off:
   * one system call and thread-pool round trip less per file (70,000 in a large upload folder).
   */
  checkReadable?: boolean;
  /**
   * `lstat` every file (default true). False: a regular file that its folder's listing says is
   * one (`readdir`'s file type) is yielded as a ListedFile, without a `lstat`: for a caller that
   * opens every file and reads its size, time and mode from the open file (`fstat`). 70,000
   * `lstat` calls were tens of seconds of system time on a tree of uploads. Entries whose type
   * the file system does not tell, links and the include paths themselves are `lstat`-ed as ever.
   */
  statFiles?: boolean;
}

/** A file to put in the archive under `archivePath` (`files/...`, '/' separators, never `..`). */
export interface SelectedFile {
  absolutePath: string;
  archivePath: string;
  size: number;
  mtime: Date;
  /** Permission bits (mode & 0o7777). */
  mode: number;
}

/**
 * A regular file, as its folder's listing said (FileSelectionOptions.statFiles false): no size,
 * time or mode yet. Whoever opens it reads those from the open file.
 */
export interface ListedFile {
  listedOnly: true;
  absolutePath: string;
  archivePath: string;
}

/** A file or folder that was selected but cannot be read; the caller reports it. */
export interface UnreadableFile {
  unreadable: true;
  absolutePath: string;
  error: Error;
}

interface IncludeRoot {
  /** Where to start walking. */
  base: string;
  /** For a glob include: which files under `base` it selects. */
  matches?: (absolutePath: string) => boolean;
}

const toPosix = (p: string) => p.split(sep).join('/');

/** `files/<relative to root>` inside root, else `files/<absolute path without leading slash>`. */
export function archivePathFor(root: string, absolutePath: string): string {
  const rel = relative(root, absolutePath);
  if (rel && !rel.startsWith('..') && !isAbsolute(rel)) return `files/${toPosix(rel)}`;
  return `files/${toPosix(absolutePath).replace(/^\/+/, '')}`;
}

function isInside(parent: string, child: string): boolean {
  return child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);
}

function globMatcher(root: string, pattern: string): (p: string) => boolean {
  if (!pattern.includes('/')) {
    const byName = picomatch(pattern, { dot: true });
    return (p) => byName(p.slice(p.lastIndexOf(sep) + 1));
  }
  const absolute = toPosix(isAbsolute(pattern) ? pattern : resolve(root, pattern));
  const m = picomatch(absolute, { dot: true });
  // A glob names files, and a matching folder brings everything below it.
  return (p) => {
    const posix = toPosix(p);
    if (m(posix)) return true;
    for (let i = posix.indexOf('/', 1); i > 0; i = posix.indexOf('/', i + 1)) if (m(posix.slice(0, i))) return true;
    return false;
  };
}

function unreadable(absolutePath: string, error: unknown): UnreadableFile {
  // Not `instanceof Error`: errors from another realm (fs under jest, vm) must keep their code.
  const isError = typeof error === 'object' && error !== null && 'message' in error;
  return { unreadable: true, absolutePath, error: isError ? (error as Error) : new Error(String(error)) };
}

function fileKind(s: Stats): string {
  if (s.isFIFO()) return 'a named pipe (FIFO)';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * Walks the selected paths and yields each file once, with its archive path. Output is sorted
 * per folder and streamed: only the folders on the current path are held in memory. Symlinks
 * are skipped unless `followSymlinks`; then each folder is entered once (loops are cut), and a
 * dangling link is yielded as unreadable. Special files (FIFOs, sockets, devices) and files or
 * folders this process cannot read are yielded as unreadable, never silently dropped.
 *
 * @example
 * for await (const f of selectFiles({ root: process.cwd(), include: ['storage/app'], exclude: ['*.tmp'], alwaysExclude: ['storage/backups'] })) { ... }
 */
export function selectFiles(
  options: FileSelectionOptions & { statFiles: false },
): AsyncIterable<SelectedFile | ListedFile | UnreadableFile>;
export function selectFiles(options: FileSelectionOptions): AsyncIterable<SelectedFile | UnreadableFile>;
export async function* selectFiles(options: FileSelectionOptions): AsyncIterable<SelectedFile | ListedFile | UnreadableFile> {
  const root = resolve(options.root);
  const follow = options.followSymlinks ?? false;
  const checkReadable = options.checkReadable ?? true;
  const statFiles = options.statFiles ?? true;
  const always = options.alwaysExclude.map((p) => resolve(root, p));
  const alwaysReal = await Promise.all(always.map((p) => realpath(p).catch(() => p)));
  const excludePaths: string[] = [];
  const excludeGlobs: Array<(p: string) => boolean> = [];
  for (const e of options.exclude.map((x) => x.trim()).filter(Boolean)) {
    if (picomatch.scan(e).isGlob) excludeGlobs.push(globMatcher(root, e));
    else excludePaths.push(resolve(root, e));
  }
  const includes: IncludeRoot[] = [];
  for (const inc of options.include.map((x) => x.trim()).filter(Boolean)) {
    const scan = picomatch.scan(inc);
    if (!scan.isGlob) includes.push({ base: resolve(root, inc) });
    else if (!inc.includes('/')) includes.push({ base: root, matches: globMatcher(root, inc) });
    else includes.push({ base: resolve(root, scan.base || '.'), matches: globMatcher(root, inc) });
  }

  const excluded = (p: string, real?: string) =>
    always.some((a) => isInside(a, p)) ||
    (real !== undefined && alwaysReal.some((a) => isInside(a, real))) ||
    excludePaths.some((e) => isInside(e, p)) ||
    excludeGlobs.some((m) => m(p));

  // A file reachable from two includes is yielded by the first only.
  const coveredBefore = (index: number, p: string) =>
    includes.slice(0, index).some((inc) => isInside(inc.base, p) && (!inc.matches || inc.matches(p)));

  for (let index = 0; index < includes.length; index++) {
    const inc = includes[index];
    if (!inc.matches && coveredBefore(index, inc.base)) continue;
    const real = follow ? await realpath(inc.base).catch(() => inc.base) : inc.base;
    yield* walk(inc.base, real, inc, index, new Set());
  }

  /**
   * `real`: the path with every symlink resolved, so a followed link cannot reach the backups.
   * `listing`: what the parent folder's listing said of this entry.
   */
  async function* walk(
    path: string,
    real: string,
    inc: IncludeRoot,
    index: number,
    ancestors: Set<string>,
    listing?: Dirent,
  ): AsyncGenerator<SelectedFile | ListedFile | UnreadableFile> {
    if (excluded(path, real)) return;
    if (!statFiles && listing?.isFile()) {
      yield* file(path, inc, index);
      return;
    }
    let info: Stats;
    try {
      info = await lstat(path);
    } catch (err) {
      yield unreadable(path, err);
      return;
    }
    if (info.isSymbolicLink()) {
      if (!follow) return;
      try {
        info = await stat(path);
        real = await realpath(path);
      } catch (err) {
        yield unreadable(path, new BackupError(`${path} is a symbolic link whose target cannot be read (${(err as Error).message}).`));
        return;
      }
      if (excluded(path, real)) return;
    }
    if (info.isDirectory()) {
      const id = `${info.dev}:${info.ino}`;
      if (ancestors.has(id)) return; // a symlink loop
      let entries: Dirent[];
      try {
        entries = await readdir(path, { withFileTypes: true });
      } catch (err) {
        yield unreadable(path, err);
        return;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const below = new Set(ancestors).add(id);
      for (const entry of entries) yield* walk(join(path, entry.name), join(real, entry.name), inc, index, below, entry);
      return;
    }
    yield* file(path, inc, index, info);
  }

  /** A file (not a folder) met by the walk: yielded when the include selects it, with `info` when it was stat-ed. */
  async function* file(
    path: string,
    inc: IncludeRoot,
    index: number,
    info?: Stats,
  ): AsyncGenerator<SelectedFile | ListedFile | UnreadableFile> {
    if (inc.matches && !inc.matches(path)) return;
    if (coveredBefore(index, path)) return;
    if (info && !info.isFile()) {
      yield unreadable(path, new BackupError(`${path} is ${fileKind(info)}, which cannot be backed up.`));
      return;
    }
    if (checkReadable) {
      try {
        await access(path, constants.R_OK);
      } catch (err) {
        yield unreadable(path, err);
        return;
      }
    }
    if (!info) {
      yield { listedOnly: true, absolutePath: path, archivePath: archivePathFor(root, path) };
      return;
    }
    yield { absolutePath: path, archivePath: archivePathFor(root, path), size: info.size, mtime: info.mtime, mode: info.mode & 0o7777 };
  }
}

/**
 * Exactly the files listed (absolute paths, no globs, links not followed), with the archive
 * paths `selectFiles` gives them: what a safety backup before a restore saves.
 */
export async function* selectListedFiles(root: string, paths: string[]): AsyncIterable<SelectedFile | UnreadableFile> {
  const base = resolve(root);
  for (const path of paths.map((p) => resolve(base, p))) {
    let info: Stats;
    try {
      info = await lstat(path);
    } catch (err) {
      yield unreadable(path, err);
      continue;
    }
    if (!info.isFile()) {
      yield unreadable(
        path,
        new BackupError(`${path} is ${info.isSymbolicLink() ? 'a symbolic link' : fileKind(info)}, which cannot be backed up.`),
      );
      continue;
    }
    yield { absolutePath: path, archivePath: archivePathFor(base, path), size: info.size, mtime: info.mtime, mode: info.mode & 0o7777 };
  }
}
