import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { crc32, deflateRaw } from 'node:zlib';
import { EntryWorkerPool } from './entry-worker.pool';
import { EntryKind } from './manifest';
import { DeflateSlots, ParallelDeflater } from './parallel-deflate';
import { AES256_STRENGTH, AES_MAC_LENGTH, deriveKeys, WinZipAesEncryptor } from './winzip-aes';
import { factsOfOpenFile, openListedFile, readSmallFile, SmallFileFacts, SmallFileSource } from './small-file.source';
import { EncodedEntry, encodeWholeEntry, MIN_SAVING, SAMPLE_BYTES } from './whole-entry';
import { METHOD_DEFLATE, METHOD_STORED } from './zip-format';

/** What an entry's data turned out to be, for its data descriptor and the manifest. */
export interface ProducedEntry {
  size: number;
  crc32: number;
  sha256: string;
  /** Bytes of entry data written (for AES: salt + verifier + ciphertext + MAC). */
  compressedSize: number;
}

/**
 * Memory shared by the entries compressed ahead of their turn: their output waits here until
 * the writer reaches them. An entry that would go over the limit pauses (its source with it).
 */
export class AheadBudget {
  private used = 0;
  private waiters: Array<() => void> = [];

  constructor(readonly limit: number) {}

  take(bytes: number): void {
    this.used += bytes;
  }

  give(bytes: number): void {
    this.used -= bytes;
    this.wakeAll();
  }

  get full(): boolean {
    return this.used > this.limit;
  }

  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  wakeAll(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/**
 * Files handed over by path that turn out larger than WHOLE_FILE_BYTES when they are opened
 * (the backup's walk does not stat them): how many may stream ahead of their turn at once, as
 * many as the writer's look-ahead lets streams start early. Without it, each of the 16 files in
 * flight started streaming at once, each holding its read stream and a deflater's pieces:
 * +30 MB peak RSS on a tree of 3–8 MiB files; waiting for every one's turn was 6–14% slower.
 */
export class StreamsAhead {
  private used = 0;
  private waiters: Array<() => boolean> = [];

  constructor(readonly max: number) {}

  /** Resolves when a stream may start: with a place ahead (give it back with the function), or at its turn. */
  enter(turn: Promise<void>): Promise<() => void> {
    return new Promise((resolve) => {
      let settled = false;
      const take = (): boolean => {
        if (settled) return false;
        settled = true;
        this.used++;
        let left = false;
        resolve(() => {
          if (left) return;
          left = true;
          this.used--;
          while (this.used < this.max && this.waiters.length > 0) (this.waiters.shift() as () => boolean)();
        });
        return true;
      };
      if (this.used < this.max) take();
      else this.waiters.push(take);
      void turn.then(() => {
        if (settled) return;
        settled = true;
        resolve(() => undefined);
      });
    });
  }
}

export interface ProducerOptions {
  level: number;
  password?: string;
  kind: EntryKind;
  budget: AheadBudget;
  /** Files found large when opened, streaming ahead of their turn. */
  streamsAhead: StreamsAhead;
  /** Deflate jobs in flight, shared by every entry of the archive. */
  slots?: DeflateSlots;
  /** Worker threads for entries held whole in memory (else they are encoded on this thread). */
  workers?: EntryWorkerPool;
  /** A Buffer source is the writer's to move to a worker without a copy (EntryMeta.handOver). */
  handOver?: boolean;
  /** The writer's failure, if any: a producer stops at its next step. */
  failure: () => Error | undefined;
}

/**
 * Reads, hashes, compresses and encrypts one entry. It may start before the entry's turn (so
 * the cores stay busy between entries and beside a slow source such as a dump); its output then
 * waits in memory, within the shared budget, until `goLive` hands it a sink, after which it
 * writes straight through with the writer's back pressure.
 */
export class EntryProducer {
  /** METHOD_STORED or METHOD_DEFLATE, known once the first bytes were looked at. */
  readonly method: Promise<number>;
  /** A SmallFileSource's time and mode as the open file said (fstat), known with `method`. */
  fileFacts: SmallFileFacts | undefined;
  private resolveMethod!: (m: number) => void;
  private rejectMethod!: (e: Error) => void;
  private readonly turn: Promise<void>;
  private resolveTurn!: () => void;
  private result: Promise<ProducedEntry> | undefined;
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private sink: ((buf: Buffer) => Promise<void>) | undefined;
  private cancelled: Error | undefined;

  constructor(
    /** A stream, an entry's whole data, or a small file to read whole when the entry starts. */
    private readonly source: Readable | Buffer | SmallFileSource,
    private readonly options: ProducerOptions,
  ) {
    this.method = new Promise<number>((resolve, reject) => {
      this.resolveMethod = resolve;
      this.rejectMethod = reject;
    });
    this.method.catch(() => undefined);
    this.turn = new Promise<void>((resolve) => (this.resolveTurn = resolve));
  }

  get started(): boolean {
    return this.result !== undefined;
  }

  /** Begins reading the source; resolves when all of the entry's data is produced. */
  start(): Promise<ProducedEntry> {
    this.result ??= this.produce().catch((err: Error) => {
      this.rejectMethod(err);
      throw err;
    });
    this.result.catch(() => undefined); // surfaced through goLive
    return this.result;
  }

  /** Writes what is queued to `sink`, then everything else as it comes; resolves at the end. */
  async goLive(sink: (buf: Buffer) => Promise<void>): Promise<ProducedEntry> {
    const result = this.start();
    while (this.queue.length > 0) {
      const buf = this.queue.shift() as Buffer;
      this.queued -= buf.length;
      this.options.budget.give(buf.length);
      await sink(buf);
    }
    this.sink = sink;
    this.options.budget.wakeAll();
    return result;
  }

  /** The writer has come to this entry: it writes the header once `method` is known (StreamsAhead). */
  takeTurn(): void {
    this.resolveTurn();
  }

  /** Stops a producer that will never be written (the archive failed). */
  cancel(reason: Error): void {
    this.cancelled ??= reason;
    this.resolveTurn();
    this.options.budget.give(this.queued);
    this.queue.length = 0;
    this.queued = 0;
    this.rejectMethod(reason);
  }

  private throwIfStopped(): void {
    const err = this.cancelled ?? this.options.failure();
    if (err) throw err;
  }

  private async push(buf: Buffer): Promise<void> {
    this.throwIfStopped();
    if (this.sink) return this.sink(buf);
    this.queue.push(buf);
    this.queued += buf.length;
    const { budget } = this.options;
    budget.take(buf.length);
    while (!this.sink && budget.full) {
      await budget.wait();
      this.throwIfStopped();
    }
  }

  private async produce(): Promise<ProducedEntry> {
    if (Buffer.isBuffer(this.source)) return this.produceWhole(this.source, this.options.handOver);
    if (this.source instanceof SmallFileSource) return this.produceSmallFile(this.source);
    return this.produceStream(this.source);
  }

  private async produceStream(source: Readable): Promise<ProducedEntry> {
    const { level, kind } = this.options;
    const head = await peek(source, SAMPLE_BYTES);
    // An entry that fits in the sample (most uploads) is compressed in one piece: one deflate at
    // the archive's level decides the method too, instead of a trial deflate and a stream.
    if (head.ended && level > 0) return this.produceWhole(head.sample, false);
    // Files that do not compress (images, video, archives) are stored: deflating them costs as
    // much CPU as text and saves nothing. The method goes in the local header, so it is decided
    // from the first bytes; a file misjudged that way only ends up larger, never different.
    const stored = level === 0 || (kind === 'file' && (await incompressible(head.sample)));
    const method = stored ? METHOD_STORED : METHOD_DEFLATE;
    this.resolveMethod(method);

    let compressed = 0;
    const encryptor = await this.encryptor((header) => {
      compressed += header.length;
      return this.push(header);
    });
    const emit = async (data: Buffer): Promise<void> => {
      compressed += data.length;
      await this.push(encryptor ? encryptor.encrypt(data) : data);
    };
    const deflater = method === METHOD_DEFLATE ? new ParallelDeflater(level, emit, undefined, undefined, this.options.slots) : undefined;
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
      this.throwIfStopped();
    }
    if (deflater) await deflater.end();
    if (encryptor) {
      compressed += AES_MAC_LENGTH;
      await this.push(encryptor.mac());
    }
    return { size, crc32: crc, sha256: sha.digest('hex'), compressedSize: compressed };
  }

  /** A whole entry held in memory: encoded in one piece (whole-entry.ts), on a worker when one is ready. */
  private async produceWhole(data: Buffer, handOver: boolean | undefined): Promise<ProducedEntry> {
    const { level, kind, password, workers } = this.options;
    return this.pushEncoded((await workers?.encode(data, level, kind, handOver)) ?? encodeWholeEntry(data, { level, kind, password }));
  }

  /**
   * A file: read and encoded on a worker in one job when one can take it, else read here and
   * encoded as any whole entry. One larger than WHOLE_FILE_BYTES (or that grew while it was
   * read) is streamed from its start; one that cannot be opened fails the entry with
   * UnreadableSourceError before any of it is out.
   */
  private async produceSmallFile(file: SmallFileSource): Promise<ProducedEntry> {
    const { level, kind, workers } = this.options;
    const onWorker = workers?.encodeFile(file, level, kind);
    if (onWorker) {
      const encoded = await onWorker;
      this.throwIfStopped();
      if (encoded !== 'large') {
        this.fileFacts = encoded.facts;
        return this.pushEncoded(encoded.encoded);
      }
    } else {
      const content = await readSmallFile(file);
      this.throwIfStopped();
      if (content !== 'large') {
        this.fileFacts = content.facts;
        return this.produceWhole(content.data, true);
      }
    }
    // Streamed ahead of its turn only as far as the writer's look-ahead goes (StreamsAhead).
    const leave = await this.options.streamsAhead.enter(this.turn);
    try {
      this.throwIfStopped();
      const handle = await openListedFile(file.path, file.followSymlinks);
      let stream: Readable;
      try {
        this.fileFacts = await factsOfOpenFile(handle, file);
        stream = handle.createReadStream();
      } catch (err) {
        await handle.close();
        throw err;
      }
      return await this.produceStream(stream);
    } finally {
      leave();
    }
  }

  private async pushEncoded(encoded: EncodedEntry): Promise<ProducedEntry> {
    this.throwIfStopped();
    this.resolveMethod(encoded.method);
    await this.push(encoded.body);
    return { size: encoded.size, crc32: encoded.crc32, sha256: encoded.sha256, compressedSize: encoded.body.length };
  }

  /** With a password: the entry's keys from a fresh salt, the salt and verifier written first. */
  private async encryptor(writeHeader: (header: Buffer) => Promise<void>): Promise<WinZipAesEncryptor | undefined> {
    const { password } = this.options;
    if (password === undefined) return undefined;
    const salt = randomBytes(16);
    const keys = await deriveKeys(password, salt, AES256_STRENGTH);
    await writeHeader(Buffer.concat([salt, keys.verifier]));
    return new WinZipAesEncryptor(keys);
  }
}

const deflateRawAsync = promisify(deflateRaw);

/**
 * Reads the first `bytes` of a source; `all` then yields those chunks followed by the rest of the
 * source (destroyed, like a plain for-await would, when the consumer stops early).
 */
async function peek(source: Readable, bytes: number): Promise<{ sample: Buffer; ended: boolean; all: AsyncIterable<Buffer | string> }> {
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
  // `ended`: the sample is the whole source (nothing was cut off it).
  return { sample, ended: ended && length <= bytes, all: all() };
}

/** Level-1 deflate of the sample (on the thread pool) saves less than MIN_SAVING. */
async function incompressible(sample: Buffer): Promise<boolean> {
  if (sample.length === 0) return false;
  const packed = await deflateRawAsync(sample, { level: 1 });
  return packed.length > sample.length * (1 - MIN_SAVING);
}
