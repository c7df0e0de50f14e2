import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { crc32, deflateRaw } from 'node:zlib';
import { BackupError } from '../common/backup.error';
import { assertSafeEntryName } from './entry-name';
import { buildManifest, EntryKind, EntryRecord, Manifest, MANIFEST_NAME } from './manifest';
import { ParallelDeflater } from './parallel-deflate';
import { AES256_STRENGTH, AES_MAC_LENGTH, deriveKeys, WinZipAesEncryptor } from './winzip-aes';
import {
  CentralRecord,
  centralHeader,
  dataDescriptor,
  dosDateTime,
  endOfCentralDirectory,
  FLAG_DATA_DESCRIPTOR,
  FLAG_ENCRYPTED,
  FLAG_UTF8,
  localHeader,
  METHOD_AES,
  METHOD_DEFLATE,
  METHOD_STORED,
  needsZip64,
} from './zip-format';

export interface ZipWriterOptions {
  encryption: 'aes256' | 'none';
  /** Required with aes256. Never written anywhere. */
  password?: string;
  /** 0 = stored, 1-9 deflate; default 6. */
  level?: number;
  /** Goes into manifest.json. */
  appName: string;
  /** Write ZIP64 records even for a small archive (tests; readers that need them). */
  forceZip64?: boolean;
}

export interface EntryMeta {
  kind: EntryKind;
  mtime?: Date;
  /** Unix permission bits (file type bits are added when missing); default 0644. */
  mode?: number;
}

export interface ArchiveSummary {
  bytes: number;
  /** SHA-256 (hex) of the whole archive as written to `output`. */
  sha256: string;
  entries: EntryRecord[];
  manifest: Manifest;
}

/** The archive is closed (finished or aborted) and takes no more entries. */
export class ArchiveClosedError extends BackupError {
  constructor(what: string) {
    super(`Cannot ${what}: the archive writer is already finished or aborted`);
  }
}

/**
 * Streams a ZIP archive (WinZip AES-256 or plain) to `output`. Entries are written one after
 * the other in the order addEntry was called; an entry whose turn has not come is not read
 * (its source stays paused), so overlapping addEntry calls are safe and memory stays bounded.
 * Sizes and CRC go into data descriptors, so nothing is buffered or seeked.
 *
 * @example
 * const zip = new ZipWriter({ encryption: 'aes256', password, appName: 'shop' });
 * const done = pipeline(zip.output, createWriteStream('backup.zip'));
 * await zip.addEntry('db/shop.sql', dump.stream, { kind: 'database-dump' });
 * const summary = await zip.finish({ databases: [facts] });
 * await done;
 */
export class ZipWriter {
  readonly output: Readable;
  private readonly level: number;
  private readonly records: CentralRecord[] = [];
  private readonly entries: EntryRecord[] = [];
  private readonly names = new Set<string>();
  private readonly pendingSources = new Set<Readable>();
  private readonly archiveHash = createHash('sha256');
  private bytes = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private failure: Error | undefined;
  private closed = false;
  private drainWaiter: (() => void) | undefined;
  private ended: Promise<void>;

  constructor(private readonly options: ZipWriterOptions) {
    const level = options.level ?? 6;
    if (!Number.isInteger(level) || level < 0 || level > 9) {
      throw new BackupError(`Invalid compression level ${level}`, 'Use 0 (stored) to 9; the default is 6.');
    }
    if (options.encryption === 'aes256' && !options.password) {
      throw new BackupError('AES-256 encryption needs a password', 'Set the archive password (BACKUP_ARCHIVE_PASSWORD).');
    }
    this.level = level;
    this.output = new Readable({ read: () => this.wake(), highWaterMark: 1024 * 1024 });
    // abort() must not crash a process that has not piped `output` yet; pipers still see the error.
    this.output.on('error', () => undefined);
    this.ended = new Promise<void>((resolve, reject) => {
      this.output.once('end', resolve);
      this.output.once('close', () => {
        if (!this.output.readableEnded) {
          const err = this.failure ?? new BackupError('The archive output was closed before the archive was complete');
          this.fail(err);
          reject(err);
        }
      });
    });
    this.ended.catch(() => undefined);
  }

  /** Queues an entry; resolves when it is completely written. */
  addEntry(name: string, source: Readable, meta: EntryMeta): Promise<EntryRecord> {
    try {
      if (this.closed) throw new ArchiveClosedError(`add "${name}"`);
      assertSafeEntryName(name);
      if (name === MANIFEST_NAME) throw new BackupError(`"${MANIFEST_NAME}" is reserved for the archive manifest`);
      if (this.names.has(name)) throw new BackupError(`Duplicate archive entry "${name}"`, 'Give every entry a unique path.');
    } catch (err) {
      return Promise.reject(err);
    }
    this.names.add(name);
    this.pendingSources.add(source);
    return this.enqueue(() => this.writeEntry(name, source, meta));
  }

  /** Writes manifest.json and the central directory; resolves when `output` has ended. */
  async finish(extra?: Record<string, unknown>): Promise<ArchiveSummary> {
    if (this.closed) throw new ArchiveClosedError('finish');
    this.closed = true;
    await this.queue.catch(() => undefined);
    this.throwIfFailed();
    const entries = [...this.entries];
    const manifest = buildManifest(this.options.appName, this.options.encryption, entries, new Date(), extra);
    await this.writeEntry(MANIFEST_NAME, Readable.from([Buffer.from(JSON.stringify(manifest, null, 2))]), {
      kind: 'other',
    });
    try {
      const cdOffset = this.bytes;
      const force = !!this.options.forceZip64;
      let batch: Buffer[] = [];
      let batchLength = 0;
      for (const r of this.records) {
        const h = centralHeader(r, force);
        batch.push(h);
        batchLength += h.length;
        if (batchLength >= 256 * 1024) {
          await this.write(Buffer.concat(batch));
          batch = [];
          batchLength = 0;
        }
      }
      if (batch.length) await this.write(Buffer.concat(batch));
      await this.write(endOfCentralDirectory(this.records.length, cdOffset, this.bytes - cdOffset, force));
    } catch (err) {
      this.abort(err);
      throw err;
    }
    const sha256 = this.archiveHash.digest('hex');
    this.output.push(null);
    await this.ended;
    return { bytes: this.bytes, sha256, entries, manifest };
  }

  /** Stops everything: destroys `output` (and the sources not yet written) with `reason`. */
  abort(reason: Error): void {
    this.closed = true;
    this.fail(reason);
  }

  private fail(reason: Error): void {
    if (this.failure) return;
    this.failure = reason;
    for (const s of this.pendingSources) s.destroy();
    this.pendingSources.clear();
    if (!this.output.destroyed) this.output.destroy(reason);
    this.wake();
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  private wake(): void {
    const w = this.drainWaiter;
    this.drainWaiter = undefined;
    w?.();
  }

  /** Pushes bytes to `output`, waiting while the consumer is behind (back pressure). */
  private async write(buf: Buffer): Promise<void> {
    this.throwIfFailed();
    this.bytes += buf.length;
    this.archiveHash.update(buf);
    if (!this.output.push(buf)) {
      await new Promise<void>((resolve) => (this.drainWaiter = resolve));
      this.throwIfFailed();
    }
  }

  private async writeEntry(name: string, source: Readable, meta: EntryMeta): Promise<EntryRecord> {
    try {
      this.throwIfFailed();
      return await this.writeEntryUnsafe(name, source, meta);
    } catch (err) {
      // Bytes of a half-written entry are already out: the archive cannot be completed.
      this.fail(err);
      throw this.failure ?? err;
    } finally {
      this.pendingSources.delete(source);
    }
  }

  private async writeEntryUnsafe(name: string, source: Readable, meta: EntryMeta): Promise<EntryRecord> {
    const encrypted = this.options.encryption === 'aes256';
    const head = await peek(source, SAMPLE_BYTES);
    // Files that do not compress (images, video, archives) are stored: deflating them costs as
    // much CPU as text and saves nothing. The method goes in the local header, so it is decided
    // from the first bytes; a file misjudged that way only ends up larger, never different.
    const stored = this.level === 0 || (meta.kind === 'file' && (await incompressible(head.sample)));
    const actualMethod = stored ? METHOD_STORED : METHOD_DEFLATE;
    const mtime = meta.mtime ?? new Date();
    const dos = dosDateTime(mtime);
    let mode = meta.mode ?? 0o644;
    if ((mode & 0o170000) === 0) mode |= 0o100000;
    const record: CentralRecord = {
      nameBytes: Buffer.from(name, 'utf8'),
      flags: FLAG_DATA_DESCRIPTOR | FLAG_UTF8 | (encrypted ? FLAG_ENCRYPTED : 0),
      method: encrypted ? METHOD_AES : actualMethod,
      versionNeeded: encrypted ? 51 : this.options.forceZip64 ? 45 : actualMethod === METHOD_DEFLATE ? 20 : 10,
      dosTime: dos.time,
      dosDate: dos.date,
      mtimeUnix: Math.floor(mtime.getTime() / 1000),
      crc32: 0,
      compressedSize: 0,
      uncompressedSize: 0,
      offset: this.bytes,
      mode,
      // AE-2 as libzip writes it: the real CRC is kept for entries of 20 bytes or more.
      aes: encrypted ? { vendorVersion: 2, strength: AES256_STRENGTH, actualMethod } : undefined,
    };

    let encryptor: WinZipAesEncryptor | undefined;
    let compressed = 0;
    await this.write(localHeader(record));
    if (encrypted) {
      const salt = randomBytes(16);
      const keys = await deriveKeys(this.options.password as string, salt, AES256_STRENGTH);
      encryptor = new WinZipAesEncryptor(keys);
      await this.write(Buffer.concat([salt, keys.verifier]));
      compressed += salt.length + keys.verifier.length;
    }

    const emit = async (data: Buffer): Promise<void> => {
      compressed += data.length;
      await this.write(encryptor ? encryptor.encrypt(data) : data);
    };
    const deflater = actualMethod === METHOD_DEFLATE ? new ParallelDeflater(this.level, emit) : undefined;
    const sha = createHash('sha256');
    let crc = 0;
    let size = 0;
    for await (const piece of head.all) {
      const chunk: Buffer = typeof piece === 'string' ? Buffer.from(piece) : piece;
      if (chunk.length === 0) continue;
      sha.update(chunk);
      crc = crc32(chunk, crc);
      size += chunk.length;
      if (deflater) await deflater.write(chunk);
      else await emit(encryptor ? Buffer.from(chunk) : chunk); // encryption works in place: copy
      this.throwIfFailed();
    }
    if (deflater) await deflater.end();
    if (encryptor) {
      const mac = encryptor.mac();
      await this.write(mac);
      compressed += AES_MAC_LENGTH;
    }
    record.crc32 = encrypted && size < 20 ? 0 : crc;
    record.compressedSize = compressed;
    record.uncompressedSize = size;
    await this.write(dataDescriptor(record, !!this.options.forceZip64 || needsZip64(record)));
    this.records.push(record);
    const entry: EntryRecord = { path: name, kind: meta.kind, size, sha256: sha.digest('hex'), compressedSize: compressed };
    if (name !== MANIFEST_NAME) this.entries.push(entry);
    return entry;
  }
}

/** Bytes of an entry looked at to decide between deflate and stored. */
const SAMPLE_BYTES = 64 * 1024;
/** Deflate must save at least this share of the sample, or the entry is stored. */
const MIN_SAVING = 0.03;
const deflateRawAsync = promisify(deflateRaw);

/**
 * Reads the first `bytes` of a source; `all` then yields those chunks followed by the rest of the
 * source (destroyed, like a plain for-await would, when the consumer stops early).
 */
async function peek(source: Readable, bytes: number): Promise<{ sample: Buffer; all: AsyncIterable<Buffer | string> }> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const first: Array<Buffer | string> = [];
  let length = 0;
  let ended = false;
  try {
    while (length < bytes) {
      const r = await iterator.next();
      if (r.done) {
        ended = true;
        break;
      }
      first.push(r.value);
      length += r.value.length;
    }
  } catch (err) {
    await iterator.return?.();
    throw err;
  }
  const sample = Buffer.concat(first.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))).subarray(0, bytes);
  async function* all(): AsyncGenerator<Buffer | string> {
    let finished = ended;
    try {
      yield* first;
      while (!finished) {
        const r = await iterator.next();
        if (r.done) finished = true;
        else yield r.value;
      }
    } finally {
      if (!finished) await iterator.return?.();
    }
  }
  return { sample, all: all() };
}

/** Level-1 deflate of the sample (on the thread pool) saves less than MIN_SAVING. */
async function incompressible(sample: Buffer): Promise<boolean> {
  if (sample.length === 0) return false;
  const packed = await deflateRawAsync(sample, { level: 1 });
  return packed.length > sample.length * (1 - MIN_SAVING);
}
