import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { FileHandle, open } from 'node:fs/promises';
import { BackupError } from '../common/backup.error';

/**
 * Files up to this size are read whole, so the archive encodes each in one piece on its worker
 * threads (tens of thousands of uploads otherwise cost a stream and its bookkeeping each).
 */
export const WHOLE_FILE_BYTES = 1024 * 1024;

/**
 * A file the archive writer reads itself when it encodes the entry: whole, when it holds at most
 * WHOLE_FILE_BYTES as it is opened (on a worker thread, with synchronous calls there, so the main
 * thread makes no open, stat, read and close round trips through its thread pool: on a virtual
 * machine whose thread wake-ups are dear they were a third of its time on a tree of uploads),
 * else streamed. Its size, time and mode are read from the open file (fstat), so the walk that
 * listed it needs no `lstat` of its own for a regular file.
 */
export class SmallFileSource {
  constructor(
    readonly path: string,
    /**
     * Open the path even when it is a symbolic link (default false: a file swapped for a link
     * since the walk, which skipped links, is refused, not followed out of the selected tree).
     */
    readonly followSymlinks = false,
  ) {}
}

/** What the open file said of itself (fstat): for the entry's header. */
export interface SmallFileFacts {
  /** Modification time, in milliseconds since the epoch. */
  mtimeMs: number;
  /** Permission bits (mode & 0o7777). */
  mode: number;
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

/**
 * The whole file and its facts; or 'large' when it holds more than WHOLE_FILE_BYTES, or grew
 * while it was read (it is streamed then, from its start).
 */
export type SmallFileContent = { data: Buffer; facts: SmallFileFacts } | 'large';

const factsOf = (s: { mtimeMs: number; mode: number }): SmallFileFacts => ({ mtimeMs: s.mtimeMs, mode: s.mode & 0o7777 });

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
 * opened or is not a regular file; a failing read after that is an error of the run, as for any
 * other file.
 */
export function readSmallFileSync(source: SmallFileSource, into?: Buffer): SmallFileContent {
  let fd: number;
  try {
    fd = openSync(source.path, openFlags(source.followSymlinks));
  } catch (err) {
    throw openFailure(source.path, source.followSymlinks, err);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw notRegular(source);
    if (stats.size > WHOLE_FILE_BYTES) return 'large';
    // One byte more than fstat said: a file that grows while it is read is streamed instead.
    const buffer = into && into.length > stats.size ? into.subarray(0, stats.size + 1) : Buffer.allocUnsafeSlow(stats.size + 1);
    let filled = 0;
    for (;;) {
      const bytesRead = readSync(fd, buffer, filled, buffer.length - filled, filled);
      filled += bytesRead;
      if (filled === buffer.length) return 'large';
      // A read that returns less than asked has met the end: no second read to be told so.
      if (bytesRead === 0 || filled === stats.size) return { data: buffer.subarray(0, filled), facts: factsOf(stats) };
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
 * UnreadableSourceError (the file is left out and reported). For the files read whole here and
 * for those the producer streams when they are larger than WHOLE_FILE_BYTES.
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
    const stats = await handle.stat();
    if (!stats.isFile()) throw notRegular(source);
    if (stats.size > WHOLE_FILE_BYTES) return 'large';
    const buffer = Buffer.allocUnsafeSlow(stats.size + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      filled += bytesRead;
      if (filled === buffer.length) return 'large';
      if (bytesRead === 0 || filled === stats.size) return { data: buffer.subarray(0, filled), facts: factsOf(stats) };
    }
  } catch (err) {
    if (err instanceof UnreadableSourceError) throw err;
    throw new BackupError(`Cannot read ${source.path}: ${reasonOf(err)}`);
  } finally {
    await handle.close();
  }
}

/** The facts of a file opened to be streamed (one that was 'large'); UnreadableSourceError if it is no longer a regular file. */
export async function factsOfOpenFile(handle: FileHandle, source: SmallFileSource): Promise<SmallFileFacts> {
  const stats = await handle.stat();
  if (!stats.isFile()) throw notRegular(source);
  return factsOf(stats);
}
