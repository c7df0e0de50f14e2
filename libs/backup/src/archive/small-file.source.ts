import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { FileHandle, open } from 'node:fs/promises';
import { BackupError } from '../common/backup.error';

/**
 * Files up to this size are read whole, so the archive encodes each in one piece on its worker
 * threads (tens of thousands of uploads otherwise cost a stream and its bookkeeping each).
 */
export const WHOLE_FILE_BYTES = 1024 * 1024;

/**
 * A small file (at most WHOLE_FILE_BYTES when it was listed) that the archive writer reads
 * itself when it encodes the entry: on a worker thread, with synchronous calls there, so the
 * main thread makes no open, read and close round trips through its thread pool (on a virtual
 * machine whose thread wake-ups are dear they were a third of its time on a tree of uploads).
 */
export class SmallFileSource {
  constructor(
    readonly path: string,
    /** The size the walk saw: one byte more read tells "grew" (then streamed) from "this size". */
    readonly size: number,
    /**
     * Open the path even when it is a symbolic link (default false: a file swapped for a link
     * since the walk, which skipped links, is refused, not followed out of the selected tree).
     */
    readonly followSymlinks = false,
  ) {}
}

/**
 * The file of a SmallFileSource could not be opened (it vanished, lost its permissions, or is no
 * longer a regular file since it was listed). Nothing of the entry was written: the archive
 * goes on without it, and the caller reports the file as unreadable.
 */
export class UnreadableSourceError extends BackupError {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`Cannot read ${path}: ${reason}`);
  }
}

/** The whole file, or 'grown' when it holds more than its listed size (it is streamed then). */
export type SmallFileContent = Buffer | 'grown';

/**
 * O_NONBLOCK: a file swapped for a FIFO since the walk would block the open forever. O_NOFOLLOW
 * (unless links are followed): a file swapped for a symbolic link is refused (ELOOP).
 */
function openFlags(followSymlinks: boolean): number {
  return constants.O_RDONLY | constants.O_NONBLOCK | (followSymlinks ? 0 : constants.O_NOFOLLOW);
}

function openFailure(path: string, followSymlinks: boolean, err: unknown): UnreadableSourceError {
  if ((err as NodeJS.ErrnoException)?.code === 'ELOOP' && !followSymlinks) {
    return new UnreadableSourceError(path, 'it is a symbolic link now, and links are not followed (BACKUP_FOLLOW_SYMLINKS)');
  }
  return new UnreadableSourceError(path, reasonOf(err));
}

function reasonOf(err: unknown): string {
  return typeof err === 'object' && err !== null && 'message' in err ? String((err as Error).message) : String(err);
}

function notRegular(source: SmallFileSource): UnreadableSourceError {
  return new UnreadableSourceError(source.path, 'it is no longer a regular file');
}

/**
 * Reads a SmallFileSource whole on the calling thread (a worker's), into `into` when it is big
 * enough (the worker reuses one buffer). Throws UnreadableSourceError when the file cannot be
 * opened; a failing read after that is an error of the run, as for any other file.
 */
export function readSmallFileSync(source: SmallFileSource, into?: Buffer): SmallFileContent {
  let fd: number;
  try {
    fd = openSync(source.path, openFlags(source.followSymlinks));
  } catch (err) {
    throw openFailure(source.path, source.followSymlinks, err);
  }
  try {
    if (!fstatSync(fd).isFile()) throw notRegular(source);
    const buffer = into && into.length > source.size ? into.subarray(0, source.size + 1) : Buffer.allocUnsafeSlow(source.size + 1);
    let filled = 0;
    for (;;) {
      const bytesRead = readSync(fd, buffer, filled, buffer.length - filled, filled);
      filled += bytesRead;
      if (filled === buffer.length) return 'grown';
      // A read that returns less than asked has met the end: no second read to be told so.
      if (bytesRead === 0 || filled === source.size) return buffer.subarray(0, filled);
    }
  } catch (err) {
    if (err instanceof UnreadableSourceError) throw err;
    throw new BackupError(`Cannot read ${source.path}: ${reasonOf(err)}`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens a listed file for reading on this thread's event loop, as the worker does: without
 * blocking on a FIFO, without following a link unless links are followed; a failure is an
 * UnreadableSourceError (the file is left out and reported). For the small files read here and
 * for the larger ones the backup and the tenant export stream.
 */
export async function openListedFile(path: string, followSymlinks: boolean): Promise<FileHandle> {
  try {
    return await open(path, openFlags(followSymlinks));
  } catch (err) {
    throw openFailure(path, followSymlinks, err);
  }
}

/**
 * The same on this thread's event loop (no worker ready, or the workers busy): the Buffer has a
 * memory block of its own, which may be moved to a worker (EntryMeta.handOver).
 */
export async function readSmallFile(source: SmallFileSource): Promise<SmallFileContent> {
  const handle = await openListedFile(source.path, source.followSymlinks);
  try {
    const buffer = Buffer.allocUnsafeSlow(source.size + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      filled += bytesRead;
      if (filled === buffer.length) return 'grown';
      if (filled === source.size) return buffer.subarray(0, filled);
      if (bytesRead === 0) return buffer.subarray(0, filled); // cut since it was listed
    }
  } catch (err) {
    if (err instanceof UnreadableSourceError) throw err;
    // Swapped for a FIFO or a device since the walk (their reads fail): left out, as unreadable.
    // Only a failed read pays for this stat.
    if (!(await handle.stat().then((s) => s.isFile(), () => true))) throw notRegular(source);
    throw new BackupError(`Cannot read ${source.path}: ${reasonOf(err)}`);
  } finally {
    await handle.close();
  }
}
