import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { BackupError } from '../common/backup.error';
import { assertSafeEntryName } from './entry-name';
import { EntryWorkerPool } from './entry-worker.pool';
import { AheadBudget, EntryProducer, StreamsAhead } from './entry-producer';
import { DeflateSlots } from './parallel-deflate';
import { SmallFileSource, UnreadableSourceError } from './small-file.source';
import { buildManifest, EntryKind, EntryRecord, Manifest, MANIFEST_NAME, manifestText } from './manifest';
import { AES256_STRENGTH } from './winzip-aes';
import {
  CentralDirectory,
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
  /**
   * Entries compressed ahead of the one being written, and the memory their output may wait in;
   * default 3 entries, 8 MiB. `{ entries: 0 }` writes strictly one entry at a time.
   */
  lookAhead?: { entries: number; bytes?: number };
  /**
   * Worker threads that encode entries given whole as a Buffer (small files); default one fewer
   * than the cores (at least 1, at most 4). 0 encodes them on the calling thread. Without the compiled worker script
   * beside the library (a bundled app), they are always encoded on the calling thread.
   */
  threads?: number;
}

const DEFAULT_LOOK_AHEAD = { entries: 3, bytes: 8 * 1024 * 1024 };

export interface EntryMeta {
  kind: EntryKind;
  /** Default now; a SmallFileSource's own (fstat, when it is read) takes precedence. */
  mtime?: Date;
  /** Unix permission bits (file type bits are added when missing); default 0644, or a SmallFileSource's own. */
  mode?: number;
  /**
   * A Buffer source whose memory the writer may take: it goes to a worker thread without a copy
   * and is empty afterwards. Only for a Buffer with a memory block of its own
   * (`Buffer.allocUnsafeSlow`, as `readSmallFile` reads files) that the caller does not use again.
   */
  handOver?: boolean;
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
 * the other in the order addEntry was called. The next few entries are read and compressed
 * ahead of their turn (see `lookAhead`): their output waits in a bounded amount of memory, and
 * an entry further back is not read at all (its source stays paused), so overlapping addEntry
 * calls keep every core busy and memory bounded. Sizes and CRC go into data descriptors, so
 * nothing is buffered whole or seeked.
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
  /** Central directory headers, written as each entry finishes (offsets and sizes are known then). */
  private readonly directory = new CentralDirectory();
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
  private readonly budget: AheadBudget;
  private readonly streamsAhead: StreamsAhead;
  /** Deflate blocks in flight across all entries (each ~1 MiB with zlib's state): 2 per core is plenty. */
  private readonly slots = new DeflateSlots(8);
  private readonly aheadEntries: number;
  /** Producers not started yet, in addEntry order; `producing` are started and not yet written. */
  private waiting: Array<EntryProducer | undefined> = [];
  /** Index of the oldest waiting producer (a queue: 70,000 entries may be added at once). */
  private waitingHead = 0;
  private readonly live = new Set<EntryProducer>();
  private producing = 0;
  private readonly workers: EntryWorkerPool | undefined;

  constructor(private readonly options: ZipWriterOptions) {
    const level = options.level ?? 6;
    if (!Number.isInteger(level) || level < 0 || level > 9) {
      throw new BackupError(`Invalid compression level ${level}`, 'Use 0 (stored) to 9; the default is 6.');
    }
    if (options.encryption === 'aes256' && !options.password) {
      throw new BackupError('AES-256 encryption needs a password', 'Set the archive password (BACKUP_ARCHIVE_PASSWORD).');
    }
    this.level = level;
    const lookAhead = options.lookAhead ?? DEFAULT_LOOK_AHEAD;
    this.aheadEntries = Math.max(0, Math.floor(lookAhead.entries));
    this.budget = new AheadBudget(lookAhead.bytes ?? DEFAULT_LOOK_AHEAD.bytes);
    this.streamsAhead = new StreamsAhead(this.aheadEntries);
    if (options.threads !== 0 && EntryWorkerPool.available()) {
      this.workers = new EntryWorkerPool(options.encryption === 'aes256' ? options.password : undefined, options.threads);
    }
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

  /**
   * Queues an entry; resolves when it is completely written. `source` is a stream, or the whole
   * data of a small entry (a file read at once), or a small file to read whole: those two are
   * encoded straight away, on a worker thread when there is one, and wait in memory for their
   * turn; a buffer is left as it is unless `meta.handOver` gives it to the writer. A small file
   * that cannot be opened rejects with UnreadableSourceError and is left out: the archive goes on.
   */
  addEntry(name: string, source: Readable | Buffer | SmallFileSource, meta: EntryMeta): Promise<EntryRecord> {
    const stream = source instanceof Readable ? source : undefined;
    try {
      if (this.closed) throw new ArchiveClosedError(`add "${name}"`);
      assertSafeEntryName(name);
      if (name === MANIFEST_NAME) throw new BackupError(`"${MANIFEST_NAME}" is reserved for the archive manifest`);
      if (this.names.has(name)) throw new BackupError(`Duplicate archive entry "${name}"`, 'Give every entry a unique path.');
    } catch (err) {
      stream?.destroy(); // never read: let it release its file handle or process
      return Promise.reject(err);
    }
    this.names.add(name);
    const producer = this.producer(source, meta.kind, meta.handOver);
    if (stream) {
      // A source may fail while it waits for its turn (a dump whose server refused it): the
      // error stays on the stream and its entry fails when started; it must not kill the process.
      stream.on('error', () => undefined);
      this.pendingSources.add(stream);
      this.waiting.push(producer);
      this.startProducers();
    } else {
      // Its data is in memory already (the caller bounds how much): encoding it now costs nothing more.
      this.run(producer);
    }
    return this.enqueue(() => this.writeEntry(name, stream, producer, meta));
  }

  /** Writes manifest.json and the central directory; resolves when `output` has ended. */
  async finish(extra?: Record<string, unknown>): Promise<ArchiveSummary> {
    if (this.closed) throw new ArchiveClosedError('finish');
    this.closed = true;
    await this.queue.catch(() => undefined);
    this.throwIfFailed();
    const entries = [...this.entries];
    const manifest = buildManifest(this.options.appName, this.options.encryption, entries, new Date(), extra);
    const manifestSource = Readable.from(manifestText(manifest));
    await this.writeEntry(MANIFEST_NAME, manifestSource, this.producer(manifestSource, 'other'), { kind: 'other' });
    try {
      const cdOffset = this.bytes;
      for (const piece of this.directory.pieces()) await this.write(piece);
      await this.write(endOfCentralDirectory(this.directory.count, cdOffset, this.bytes - cdOffset, !!this.options.forceZip64));
    } catch (err) {
      this.abort(err);
      throw err;
    }
    const sha256 = this.archiveHash.digest('hex');
    await this.workers?.close();
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
    for (const p of [...this.waiting.slice(this.waitingHead), ...this.live]) p?.cancel(reason);
    this.waiting = [];
    this.waitingHead = 0;
    this.live.clear();
    void this.workers?.close();
    this.budget.wakeAll();
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

  private producer(source: Readable | Buffer | SmallFileSource, kind: EntryKind, handOver = false): EntryProducer {
    return new EntryProducer(source, {
      handOver,
      level: this.level,
      password: this.options.encryption === 'aes256' ? this.options.password : undefined,
      kind,
      budget: this.budget,
      streamsAhead: this.streamsAhead,
      slots: this.slots,
      workers: this.workers,
      failure: () => this.failure,
    });
  }

  /** Starts waiting producers, oldest first, while fewer than 1 + aheadEntries are at work. */
  private startProducers(): void {
    while (this.producing < 1 + this.aheadEntries && this.waitingHead < this.waiting.length) this.run(this.nextWaiting());
  }

  private nextWaiting(): EntryProducer {
    const p = this.waiting[this.waitingHead] as EntryProducer;
    this.waiting[this.waitingHead++] = undefined;
    if (this.waitingHead >= 1024 && this.waitingHead * 2 >= this.waiting.length) {
      this.waiting = this.waiting.slice(this.waitingHead);
      this.waitingHead = 0;
    }
    return p;
  }

  private run(p: EntryProducer): void {
    this.producing++;
    this.live.add(p);
    void p.start().catch(() => undefined); // surfaced when the entry is written
  }

  /** An entry is written (or failed): its slot goes to the next waiting entry. */
  private release(p: EntryProducer): void {
    if (!this.live.delete(p)) return;
    this.producing--;
    if (!this.failure) this.startProducers();
  }

  private async writeEntry(name: string, source: Readable | undefined, producer: EntryProducer, meta: EntryMeta): Promise<EntryRecord> {
    const offset = this.bytes;
    try {
      this.throwIfFailed();
      return await this.writeEntryUnsafe(name, producer, meta);
    } catch (err) {
      // A small file that could not be opened, before any byte of its entry was out: left out.
      if (err instanceof UnreadableSourceError && this.bytes === offset && !this.failure) {
        this.names.delete(name);
        throw err;
      }
      // Bytes of a half-written entry are already out: the archive cannot be completed.
      this.fail(err);
      throw this.failure ?? err;
    } finally {
      if (source) this.pendingSources.delete(source);
      this.release(producer);
    }
  }

  private async writeEntryUnsafe(name: string, producer: EntryProducer, meta: EntryMeta): Promise<EntryRecord> {
    const encrypted = this.options.encryption === 'aes256';
    // The entry being written always runs, whatever the look-ahead.
    if (!producer.started) {
      // Producers start in the order entries were added, so one not started yet is the oldest.
      if (this.waiting[this.waitingHead] === producer) this.nextWaiting();
      this.run(producer);
    }
    producer.takeTurn();
    const actualMethod = await producer.method;
    // A file the writer read itself says its own time and mode, as they were when it was read.
    const file = producer.fileFacts;
    const mtime = file ? new Date(file.mtimeMs) : (meta.mtime ?? new Date());
    const dos = dosDateTime(mtime);
    let mode = file?.mode ?? meta.mode ?? 0o644;
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
    await this.write(localHeader(record));
    const produced = await producer.goLive((buf) => this.write(buf));
    record.crc32 = encrypted && produced.size < 20 ? 0 : produced.crc32;
    record.compressedSize = produced.compressedSize;
    record.uncompressedSize = produced.size;
    await this.write(dataDescriptor(record, !!this.options.forceZip64 || needsZip64(record)));
    this.directory.add(centralHeader(record, !!this.options.forceZip64));
    const entry: EntryRecord = {
      path: name,
      kind: meta.kind,
      size: produced.size,
      sha256: produced.sha256,
      compressedSize: produced.compressedSize,
    };
    if (name !== MANIFEST_NAME) this.entries.push(entry);
    return entry;
  }
}
