import { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { assertSafeEntryName, normalEntryName, UnsafeEntryNameError, ZipReader } from '../archive';
import { BackupError } from '../common/backup.error';
import type { ArchivedFile } from './archive.layout';
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

/** A file entry of the archive and where it goes. */
export interface FileToRestore {
  entry: string;
  /** Path below the restore root ('/' separators, normalised: no "." or empty segments). */
  relativePath: string;
  target: string;
  size: number;
  mode?: number;
  mtime: Date;
  /** A regular file is there now: the restore overwrites it (so it goes into the safety backup). */
  overwrites: boolean;
}

/**
 * A planned file as the plan holds it: its target path and modification time made when asked
 * for, from the root (one string for all) and a number. 70,000 files held their absolute paths
 * and a Date each: ~14 MB of a files restore's heap for its whole run (issue 20).
 */
class PlannedFile implements FileToRestore {
  overwrites = false;

  constructor(
    private readonly root: string,
    readonly entry: string,
    readonly relativePath: string,
    readonly size: number,
    readonly mode: number | undefined,
    private readonly mtimeMs: number,
  ) {}

  /** `relativePath` is normalised and checked to stay below the root, so a join is its resolve. */
  get target(): string {
    return this.root === sep ? sep + this.relativePath : this.root + sep + this.relativePath;
  }

  get mtime(): Date {
    return new Date(this.mtimeMs);
  }
}

/** One reason the files cannot be restored as planned. */
export interface FileConflict {
  entry: string;
  problem: string;
}

/** The plan found conflicts: nothing was written. Lists every one, not only the first. */
export class FileConflictError extends BackupError {
  constructor(
    readonly root: string,
    readonly conflicts: FileConflict[],
  ) {
    const shown = conflicts
      .slice(0, 20)
      .map((c) => `\n  - ${c.entry}: ${c.problem}`)
      .join('');
    const more = conflicts.length > 20 ? `\n  … and ${conflicts.length - 20} more` : '';
    super(
      `The files cannot be restored under ${root}: ${conflicts.length} conflict(s), nothing was written:${shown}${more}`,
      'Move the paths named above out of the way, or restore beside them with --files-to <empty folder>.',
    );
  }
}

/**
 * Plans where every file of the archive lands under `root` (its `path`: ours below `files/`,
 * spatie's with its prefix cut off) and checks the whole plan against the
 * archive and the file system before anything is written: a name that escapes the root
 * (zip-slip) throws at once; every other conflict is collected and refused together — two
 * entries for one path (`files/./x` and `files/x`), an entry that is a symbolic link, a file
 * where the plan needs a folder (in the archive or on disk), a folder or link where a file goes,
 * a symbolic link on the way.
 */
export async function planFiles(zip: ZipReader, files: ArchivedFile[], root: string): Promise<FileToRestore[]> {
  const base = resolve(root);
  const planned: PlannedFile[] = [];
  const conflicts: FileConflict[] = [];
  const byPath = new Map<string, string>();
  for (const file of files) {
    const listed = { path: file.entry, size: file.size };
    assertSafeEntryName(listed.path);
    const normal = normalEntryName(file.path);
    // The same text as the path (the usual case): keep one string, not two.
    const relativePath = normal === file.path ? file.path : normal;
    const target = resolve(base, ...relativePath.split('/'));
    const rel = relative(base, target);
    if (!rel || rel.startsWith('..') || isAbsolute(rel)) {
      throw new UnsafeEntryNameError(listed.path, `it would be written outside ${base}`);
    }
    const entry = zip.entry(listed.path);
    const first = byPath.get(relativePath);
    if (first !== undefined) {
      conflicts.push({ entry: listed.path, problem: `names the same file as "${first}" (${relativePath})` });
      continue;
    }
    byPath.set(relativePath, listed.path);
    // Restoring a link as a regular file would turn it into a 0777 file holding the link's
    // target path; following it could write anywhere. Links are refused (README).
    if (entry?.mode !== undefined && (entry.mode & S_IFMT) === S_IFLNK) {
      conflicts.push({ entry: listed.path, problem: 'it is a symbolic link; links are not restored' });
      continue;
    }
    const plannedFile = new PlannedFile(base, listed.path, relativePath, listed.size, entry?.mode, entry?.mtime.getTime() ?? Date.now());
    if (plannedFile.target !== target) throw new UnsafeEntryNameError(listed.path, `its path does not resolve to ${plannedFile.target}`);
    planned.push(plannedFile);
  }
  // A path the archive holds as a file and also needs as a folder of another file.
  for (const file of planned) {
    const segments = file.relativePath.split('/');
    for (let i = 1; i < segments.length; i++) {
      const parent = byPath.get(segments.slice(0, i).join('/'));
      if (parent)
        conflicts.push({
          entry: file.entry,
          problem: `its folder ${segments.slice(0, i).join('/')} is a file in the archive too ("${parent}")`,
        });
    }
  }
  // Folders are looked at once (many files share them); each file's own path is looked at once anyway.
  const seen = new Map<string, Stats | undefined>();
  const look = async (path: string) => {
    if (!seen.has(path)) seen.set(path, await lstat(path).catch(() => undefined));
    return seen.get(path);
  };
  // Below a folder that does not exist nothing does (a restore into a new folder: 70,000 lstat
  // calls saved, ~6 s one after the other).
  const rootAbsent = !(await look(base));
  for (const file of planned) {
    const segments = file.relativePath.split('/');
    let problem: string | undefined;
    let absent = rootAbsent;
    for (let i = 1; i < segments.length && !problem && !absent; i++) {
      const dir = resolve(base, ...segments.slice(0, i));
      const st = await look(dir);
      if (!st) absent = true;
      else if (st.isSymbolicLink()) problem = `its folder ${dir} is a symbolic link`;
      else if (!st.isDirectory()) problem = `${dir} is a file where the archive needs a folder`;
    }
    const self = problem || absent ? undefined : await lstat(file.target).catch(() => undefined);
    if (self?.isDirectory()) problem = `${file.target} is a folder where the archive has a file`;
    else if (self?.isSymbolicLink()) problem = `${file.target} is a symbolic link`;
    else if (self && !self.isFile()) problem = `${file.target} exists and is not a regular file`;
    if (problem) conflicts.push({ entry: file.entry, problem });
    file.overwrites = !!self?.isFile();
  }
  if (conflicts.length) throw new FileConflictError(base, conflicts);
  return planned;
}
