import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, WriteStream } from 'node:fs';
import { mkdir, open, opendir, rename, stat, unlink } from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import {
  assertSafeKey,
  DestinationUnreachableError,
  ObjectNotFoundError,
  UploadFailedError,
  UploadSizeMismatchError,
} from './destination.errors';
import { fileSource, RandomAccessSource } from '../archive/random-access.source';
import { BackupDestination, DestinationUpload, StoredObject } from './destination.interface';

export interface LocalDestinationOptions {
  /** Disk name used in BACKUP_DISKS and messages; default "local". */
  name?: string;
  /** Folder the backups are stored under (BACKUP_LOCAL_ROOT). */
  root: string;
}

/** Temporary files are `<final name>.<12 hex>.part`; listings never show them. */
const TEMP_SUFFIX = /\.[0-9a-f]{12}\.part$/;

/**
 * Backups on a local (or mounted) disk. An upload is written to a 0600 temporary file beside
 * its final name and renamed only once it is complete and its size checked, so a crash never
 * leaves a partial archive under a backup's name.
 *
 * @example new LocalDestination({ root: 'storage/backups' })
 */
export class LocalDestination implements BackupDestination {
  readonly name: string;
  readonly root: string;

  constructor(options: LocalDestinationOptions) {
    this.name = options.name ?? 'local';
    this.root = path.resolve(options.root);
  }

  describe(): string {
    return `local disk ${this.root}`;
  }

  async openUpload(key: string): Promise<DestinationUpload> {
    const finalPath = this.pathOf(key);
    await mkdir(path.dirname(finalPath), { recursive: true, mode: 0o700 });
    // A temporary file of this same key is a killed writer's (a queued export retried by another
    // worker writes the same name): nobody else may write this key now, so it goes.
    await this.removeTempsOf(finalPath);
    const tempPath = `${finalPath}.${randomBytes(6).toString('hex')}.part`;
    // 1 MiB of buffer: with the default 16 KiB, an archive of small entries (a header, a body and
    // a descriptor each) went out in ~45 KB writes, each a thread-pool round trip.
    const stream = createWriteStream(tempPath, { flags: 'wx', mode: 0o600, highWaterMark: 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    return new LocalUpload(this.name, key, tempPath, finalPath, stream);
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    // Walk only the folder the prefix points into: "app/2026-" starts at <root>/app.
    const slash = prefix.lastIndexOf('/');
    const startKey = slash >= 0 ? prefix.slice(0, slash) : '';
    if (startKey) assertSafeKey(startKey);
    yield* this.walk(startKey, prefix);
  }

  async stat(key: string): Promise<StoredObject | null> {
    try {
      const s = await stat(this.pathOf(key));
      return s.isFile() ? { key, size: s.size, lastModified: s.mtime } : null;
    } catch (err) {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return null;
      throw err;
    }
  }

  async read(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const file = this.pathOf(key);
    const stream = createReadStream(file, range ? { start: range.start, end: range.end } : {});
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    }).catch((err) => {
      stream.destroy();
      if (err.code === 'ENOENT') throw this.notFound(key);
      throw err;
    });
    return stream;
  }

  /**
   * The archive on one descriptor: a restore's range reads (70,000 local headers among them)
   * were one open, read and close each, 1 s of system calls and a churn of stream objects.
   */
  async openSource(key: string): Promise<RandomAccessSource> {
    try {
      return await fileSource(this.pathOf(key));
    } catch (err) {
      if (err.code === 'ENOENT') throw this.notFound(key);
      throw err;
    }
  }

  private notFound(key: string): ObjectNotFoundError {
    return new ObjectNotFoundError(`no backup "${key}" on ${this.describe()}`, 'run backup:list to see the stored backups');
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.pathOf(key));
    } catch (err) {
      if (err.code !== 'ENOENT') throw err;
    }
  }

  private async removeTempsOf(finalPath: string): Promise<void> {
    const base = path.basename(finalPath);
    const dir = await opendir(path.dirname(finalPath));
    for await (const entry of dir) {
      if (entry.isFile() && entry.name.startsWith(`${base}.`) && TEMP_SUFFIX.test(entry.name) && entry.name.length === base.length + 18) {
        await unlink(path.join(path.dirname(finalPath), entry.name)).catch(() => undefined);
      }
    }
  }

  async removeStaleUploads(prefix: string): Promise<string[]> {
    const removed: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await opendir(dir);
      } catch (err) {
        if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return;
        throw err;
      }
      for await (const entry of entries) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(file);
        else if (entry.isFile() && TEMP_SUFFIX.test(entry.name)) {
          await unlink(file).catch(() => undefined);
          removed.push(path.relative(this.root, file).split(path.sep).join('/'));
        }
      }
    };
    const folder = prefix.replace(/\/+$/, '');
    await walk(folder ? this.pathOf(folder) : this.root);
    return removed;
  }

  async checkReachable(): Promise<void> {
    const probe = path.join(this.root, `.nest-backup-probe-${randomBytes(6).toString('hex')}`);
    try {
      await mkdir(this.root, { recursive: true, mode: 0o700 });
      const handle = await open(probe, 'wx', 0o600);
      await handle.close();
      await unlink(probe);
    } catch (err) {
      throw new DestinationUnreachableError(
        `the local backup folder ${this.root} cannot be created or written (${err.code ?? err.message})`,
        'check BACKUP_LOCAL_ROOT and that the app user may write there',
      );
    }
  }

  private pathOf(key: string): string {
    assertSafeKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  private async *walk(dirKey: string, prefix: string): AsyncGenerator<StoredObject> {
    let dir;
    try {
      dir = await opendir(dirKey ? this.pathOf(dirKey) : this.root);
    } catch (err) {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return;
      throw err;
    }
    for await (const entry of dir) {
      const key = dirKey ? `${dirKey}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        // Descend only where the prefix can still match.
        if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) yield* this.walk(key, prefix);
      } else if (entry.isFile() && key.startsWith(prefix) && !TEMP_SUFFIX.test(entry.name)) {
        const found = await this.stat(key);
        if (found) yield found;
      }
    }
  }
}

/** One upload to a temporary file; see LocalDestination. */
class LocalUpload implements DestinationUpload {
  private state: 'open' | 'completed' | 'aborted' = 'open';

  constructor(
    readonly destination: string,
    readonly key: string,
    private readonly tempPath: string,
    private readonly finalPath: string,
    readonly stream: WriteStream,
  ) {
    // Errors are reported through complete() / the fan-out's own listener, never as a crash.
    stream.on('error', () => undefined);
  }

  async complete(expectedSize: number): Promise<StoredObject> {
    if (this.state !== 'open') throw new UploadFailedError(`upload of ${this.key} was already ${this.state}`);
    try {
      if (!this.stream.writableEnded) this.stream.end();
      await finished(this.stream);
      // fsync through a fresh descriptor: the data reaches the disk before the rename makes it visible.
      const handle = await open(this.tempPath, 'r+');
      try {
        await handle.sync();
        const { size } = await handle.stat();
        if (size !== expectedSize) {
          throw new UploadSizeMismatchError(
            `the archive written to ${this.finalPath} has ${size} bytes, expected ${expectedSize}; it was removed`,
            'run the backup again; if it repeats, check the disk',
          );
        }
      } finally {
        await handle.close();
      }
      await rename(this.tempPath, this.finalPath);
      await syncDir(path.dirname(this.finalPath));
      this.state = 'completed';
      const s = await stat(this.finalPath);
      return { key: this.key, size: s.size, lastModified: s.mtime };
    } catch (err) {
      await this.abort(err);
      if (err instanceof UploadSizeMismatchError) throw err;
      throw new UploadFailedError(
        `writing ${this.key} to ${this.finalPath} failed: ${err.message}`,
        'check free space and permissions of BACKUP_LOCAL_ROOT',
      );
    }
  }

  /** Removes the temporary file, or the final file if the upload had completed. Never throws. */
  async abort(_reason?: Error): Promise<void> {
    const wasCompleted = this.state === 'completed';
    this.state = 'aborted';
    if (!this.stream.closed) {
      const closed = new Promise<void>((resolve) => this.stream.once('close', () => resolve()));
      this.stream.destroy();
      await closed;
    }
    await unlink(wasCompleted ? this.finalPath : this.tempPath).catch(() => undefined);
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself is still atomic.
  }
}
