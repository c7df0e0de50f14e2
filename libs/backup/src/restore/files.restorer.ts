import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ZipReader } from '../archive';
import { FileToRestore } from './files.plan';

export { FileConflictError, planFiles } from './files.plan';
export type { FileConflict, FileToRestore } from './files.plan';

/** Temporary files being written right now: removed when the process is stopped by a signal. */
export const temporaryFilesInFlight = new Set<string>();

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
  const byEntry = new Map(files.map((f) => [f.entry, f]));
  const temps = new Map<FileToRestore, string>();
  const createdFolders: string[] = [];
  const discard = async () => {
    for (const temp of temps.values()) {
      await rm(temp, { force: true });
      temporaryFilesInFlight.delete(temp);
    }
    temps.clear();
    // Deepest first: only folders this staging made, holding nothing but its own files.
    for (const folder of createdFolders.sort((a, b) => b.length - a.length)) await rm(folder, { recursive: true, force: true });
  };
  const tempFor = (file: FileToRestore) => {
    const temp = join(dirname(file.target), `.${basename(file.target)}.restore-${randomBytes(6).toString('hex')}.tmp`);
    temps.set(file, temp);
    temporaryFilesInFlight.add(temp);
    return temp;
  };
  const finish = async (file: FileToRestore, temp: string) => {
    await chmod(temp, file.mode ? file.mode & 0o777 : 0o644);
    await utimes(temp, file.mtime, file.mtime);
  };
  try {
    for (const folder of new Set(files.map((f) => dirname(f.target)))) {
      const first = await mkdir(folder, { recursive: true });
      if (first) createdFolders.push(first);
    }
    const streamed = await zip.readSmallEntries([...byEntry.keys()], async (entry, result) => {
      if ('error' in result) throw result.error;
      progress?.throwIfStopped();
      const file = byEntry.get(entry) as FileToRestore;
      const temp = tempFor(file);
      await writeFile(temp, result.data, { flag: 'wx', mode: 0o600 });
      await finish(file, temp);
    });
    for (const entry of streamed) {
      progress?.throwIfStopped();
      const file = byEntry.get(entry) as FileToRestore;
      const temp = tempFor(file);
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
      for (const [file, temp] of temps) {
        await rename(temp, file.target);
        temps.delete(file);
        temporaryFilesInFlight.delete(temp);
      }
      return { count: files.length, bytes };
    },
  };
}

/** Stages the files (every check passed) and renames them into place. */
export async function restoreFiles(zip: ZipReader, files: FileToRestore[], progress?: { throwIfStopped(): void }): Promise<{ count: number; bytes: number }> {
  return (await stageFiles(zip, files, progress)).commit();
}
