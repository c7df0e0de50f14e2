import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, rename, rm, utimes } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ZipReader } from '../archive';
import { FileToRestore } from './files.plan';

export { FileConflictError, planFiles } from './files.plan';
export type { FileConflict, FileToRestore } from './files.plan';

/** Temporary files being written right now: removed when the process is stopped by a signal. */
export const temporaryFilesInFlight = new Set<string>();

/**
 * Writes each file to a temporary name beside its target and renames it into place only after
 * its entry streamed to the end with every check passing, so no partial or unverified file is
 * ever left under a real name.
 */
export async function restoreFiles(zip: ZipReader, files: FileToRestore[], progress?: { throwIfStopped(): void }): Promise<{ count: number; bytes: number }> {
  let bytes = 0;
  for (const file of files) {
    progress?.throwIfStopped();
    await mkdir(dirname(file.target), { recursive: true });
    const temp = join(dirname(file.target), `.${basename(file.target)}.restore-${randomBytes(6).toString('hex')}.tmp`);
    temporaryFilesInFlight.add(temp);
    try {
      await pipeline(await zip.openEntry(file.entry), createWriteStream(temp, { flags: 'wx', mode: 0o600 }));
      await chmod(temp, file.mode ? file.mode & 0o777 : 0o644);
      await utimes(temp, file.mtime, file.mtime);
      await rename(temp, file.target);
      bytes += file.size;
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    } finally {
      temporaryFilesInFlight.delete(temp);
    }
  }
  return { count: files.length, bytes };
}
