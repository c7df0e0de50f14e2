import { randomBytes } from 'node:crypto';
import { createWriteStream, Dirent } from 'node:fs';
import { chmod, mkdir, readdir, rename, rm, rmdir, utimes, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ZipReader } from '../archive';
import { forEachConcurrently } from '../common/concurrently';
import { FileToRestore } from './files.plan';

export { FileConflictError, planFiles } from './files.plan';
export type { FileConflict, FileToRestore } from './files.plan';

/**
 * The temporary files of the stagings in progress, by name; each staging lists its own (one
 * name per file written, made when asked for: 70,000 names held at once cost ~10 MB).
 */
class TemporaryFiles implements Iterable<string> {
  private readonly sources = new Set<() => Iterable<string>>();

  /** Adds a staging's list of temporary files; returns its removal. */
  track(list: () => Iterable<string>): () => void {
    this.sources.add(list);
    return () => void this.sources.delete(list);
  }

  *[Symbol.iterator](): Iterator<string> {
    for (const list of this.sources) yield* list();
  }
}

/** Temporary files being written right now: removed when the process is stopped by a signal. */
export const temporaryFilesInFlight = new TemporaryFiles();

/** Files written under temporary names, every check passed; nothing is under a real name yet. */
export interface StagedFiles {
  count: number;
  bytes: number;
  /** Renames every file into place. */
  commit(): Promise<{ count: number; bytes: number }>;
  /** Removes the temporary files and the folders staging created. */
  discard(): Promise<void>;
}

/**
 * Writes each file to a temporary name beside its target, checking it as it is written (one
 * read of the archive: small files come from batched reads, large ones stream). Nothing is
 * under a real name until `commit`, so a fault in any entry leaves every file as it was; on a
 * fault the temporary files and the folders made for them are removed before it throws.
 */
export async function stageFiles(zip: ZipReader, files: FileToRestore[], progress?: { throwIfStopped(): void }): Promise<StagedFiles> {
  const byEntry = new Map(files.map((f, i) => [f.entry, i]));
  // One random suffix for the whole staging: two files of one folder differ by name already.
  const suffix = randomBytes(6).toString('hex');
  const tempOf = (file: FileToRestore) => join(dirname(file.target), `.${basename(file.target)}.restore-${suffix}.tmp`);
  /** Which files have a temporary file now (by index in `files`), in the order they were written. */
  const written: number[] = [];
  const isWritten = new Uint8Array(files.length);
  const temps = function* () {
    for (const i of written) if (isWritten[i]) yield tempOf(files[i]);
  };
  const untrack = temporaryFilesInFlight.track(temps);
  const createdFolders: string[] = [];
  const discard = async () => {
    for (const i of written) {
      if (!isWritten[i]) continue;
      await rm(tempOf(files[i]), { force: true });
      isWritten[i] = 0;
    }
    written.length = 0;
    untrack();
    // Folders this staging made, deepest first, and only when empty: after a commit that failed
    // half-way they hold files already put in place, and the app may have written there meanwhile.
    for (const folder of createdFolders.sort((a, b) => b.length - a.length)) await removeEmptyTree(folder);
  };
  const tempFor = (index: number) => {
    if (!isWritten[index]) written.push(index);
    isWritten[index] = 1;
    return tempOf(files[index]);
  };
  const finish = async (file: FileToRestore, temp: string) => {
    await chmod(temp, modeOf(file));
    await utimes(temp, file.mtime, file.mtime);
  };
  try {
    // A few at a time: 6,400 folders one after the other took 4-5 s on a disk still writing back.
    // Each call reports the first folder it made itself, so every folder made is listed once.
    await forEachConcurrently([...new Set(files.map((f) => dirname(f.target)))], FOLDERS_AT_ONCE, async (folder) => {
      const first = await mkdir(folder, { recursive: true });
      if (first) createdFolders.push(first);
    });
    // Where a worker writes a file it has checked (so the main thread makes no file system call for it).
    const targetOf = (entry: string) => {
      const index = byEntry.get(entry) as number;
      return { path: tempFor(index), mode: modeOf(files[index]), mtime: files[index].mtime };
    };
    const streamed = await zip.readSmallEntries(
      [...byEntry.keys()],
      async (entry, result) => {
        if ('error' in result) throw result.error;
        progress?.throwIfStopped();
        if ('written' in result) return;
        const index = byEntry.get(entry) as number;
        const temp = tempFor(index);
        await writeFile(temp, result.data, { flag: 'wx', mode: 0o600 });
        await finish(files[index], temp);
      },
      { writeTo: targetOf },
    );
    for (const entry of streamed) {
      progress?.throwIfStopped();
      const index = byEntry.get(entry) as number;
      const file = files[index];
      const temp = tempFor(index);
      await pipeline(await zip.openEntry(entry), createWriteStream(temp, { flags: 'wx', mode: 0o600 }));
      await finish(file, temp);
    }
  } catch (err) {
    await discard();
    throw err;
  }
  const bytes = files.reduce((s, f) => s + f.size, 0);
  return {
    count: files.length,
    bytes,
    discard,
    commit: async () => {
      // The renames are independent of each other, so a few run at once: 70,000 took 3.7 s one
      // after the other and 1.1 s 8 at a time. The first failure stops the rest; the renames
      // in flight settle before it is thrown, so discard() then removes exactly what is left.
      await forEachConcurrently(
        written.filter((i) => isWritten[i]),
        RENAMES_AT_ONCE,
        async (i) => {
          await rename(tempOf(files[i]), files[i].target);
          isWritten[i] = 0;
        },
      );
      written.length = 0;
      untrack();
      return { count: files.length, bytes };
    },
  };
}

/** Stages the files (every check passed) and renames them into place. */
export async function restoreFiles(
  zip: ZipReader,
  files: FileToRestore[],
  progress?: { throwIfStopped(): void },
): Promise<{ count: number; bytes: number }> {
  return (await stageFiles(zip, files, progress)).commit();
}

/** Removes `folder` and the folders below it that hold nothing (no file is ever removed). */
async function removeEmptyTree(folder: string): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch {
    return; // gone already
  }
  for (const e of entries) if (e.isDirectory()) await removeEmptyTree(join(folder, e.name));
  await rmdir(folder).catch(() => undefined); // not empty: it stays, with what is in it
}

/** Folders made at once while staging (mkdir -p each). */
const FOLDERS_AT_ONCE = 8;
/** Renames in flight at once when the staged files go into place. */
const RENAMES_AT_ONCE = 8;

const modeOf = (file: FileToRestore) => (file.mode ? file.mode & 0o777 : 0o644);
