import { constants, deflateRaw } from 'node:zlib';

const DICTIONARY = 32 * 1024;

/**
 * Deflate jobs in flight across several deflaters (entries compressed at once share it), so
 * memory stays the same however many entries are at work: each job holds its input block, its
 * output and zlib's own state until it finishes. A slot is freed when the job finishes, whether
 * or not its output was taken yet, so deflaters never wait on each other.
 */
export class DeflateSlots {
  private used = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly max: number) {}

  async acquire(): Promise<void> {
    while (this.used >= this.max) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.used++;
  }

  release(): void {
    this.used--;
    this.waiters.shift()?.();
  }

  private readonly free: Buffer[] = [];

  /**
   * A block buffer of `size` bytes, reused from finished jobs: a 2 GB dump otherwise allocates
   * 2 GB of short-lived 512 KiB blocks, which V8 frees only at its next full collection.
   */
  takeBlock(size: number): Buffer {
    const reused = this.free.pop();
    return reused && reused.length === size ? reused : Buffer.allocUnsafe(size);
  }

  giveBlock(block: Buffer): void {
    if (this.free.length < this.max + 4) this.free.push(block);
  }
}

/**
 * pigz-style deflate of one stream on several cores: the plaintext is cut into blocks, each
 * block is compressed on the libuv thread pool with the previous block's last 32 KiB as its
 * dictionary (so the ratio stays close to a single stream) and ends with a sync flush (the
 * last with Z_FINISH); the outputs, concatenated in order, are one valid raw deflate stream.
 * At most `maxInFlight` blocks are held, so memory stays bounded whatever the entry size.
 */
export class ParallelDeflater {
  private readonly inFlight: Promise<Buffer>[] = [];
  private parts: Buffer[] = [];
  private partsLength = 0;
  private held: Buffer | null = null;
  /** Whether `held` came from the slots' block pool (and goes back once compressed). */
  private heldPooled = false;
  /** The last 32 KiB of the previous block (a copy: that block may be reused by then). */
  private dictionary: Buffer | undefined;
  private hasDictionary = false;

  constructor(
    private readonly level: number,
    private readonly emit: (compressed: Buffer) => Promise<void>,
    private readonly blockSize = 512 * 1024,
    private readonly maxInFlight = 8,
    private readonly slots?: DeflateSlots,
  ) {}

  /** Adds plaintext; resolves once the pipeline has room again (back pressure). */
  async write(chunk: Buffer): Promise<void> {
    this.parts.push(chunk);
    this.partsLength += chunk.length;
    while (this.partsLength >= this.blockSize) {
      const block = this.slots ? this.slots.takeBlock(this.blockSize) : Buffer.allocUnsafe(this.blockSize);
      let filled = 0;
      const rest: Buffer[] = [];
      for (const part of this.parts) {
        if (filled === this.blockSize) {
          rest.push(part);
          continue;
        }
        const copied = part.copy(block, filled, 0, Math.min(part.length, this.blockSize - filled));
        filled += copied;
        if (copied < part.length) rest.push(part.subarray(copied));
      }
      this.parts = rest;
      this.partsLength -= this.blockSize;
      await this.hold(block, !!this.slots);
    }
  }

  /** Compresses what is left with Z_FINISH and emits everything. */
  async end(): Promise<void> {
    const restBlock = Buffer.concat(this.parts, this.partsLength);
    this.parts = [];
    this.partsLength = 0;
    if (restBlock.length > 0 || this.held === null) await this.hold(restBlock, false);
    await this.submit(this.held as Buffer, this.heldPooled, true);
    this.held = null;
    while (this.inFlight.length > 0) await this.emit(await (this.inFlight.shift() as Promise<Buffer>));
  }

  /** A block is compressed only once the next one exists, so the last one can get Z_FINISH. */
  private async hold(block: Buffer, pooled: boolean): Promise<void> {
    if (this.held) await this.submit(this.held, this.heldPooled, false);
    this.held = block;
    this.heldPooled = pooled;
    while (this.inFlight.length >= this.maxInFlight) {
      await this.emit(await (this.inFlight.shift() as Promise<Buffer>));
    }
  }

  private async submit(block: Buffer, pooled: boolean, last: boolean): Promise<void> {
    await this.slots?.acquire();
    const dictionary = this.hasDictionary ? this.dictionary : undefined;
    const job = new Promise<Buffer>((resolve, reject) =>
      deflateRaw(
        block,
        {
          level: this.level,
          finishFlush: last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
          chunkSize: 128 * 1024, // fewer thread-pool round trips per block
          ...(dictionary ? { dictionary } : {}),
        },
        (err, out) => {
          this.slots?.release();
          if (pooled) this.slots?.giveBlock(block);
          if (err) reject(err);
          // A small output is a view into zlib's 128 KiB output buffer: copied, so that an entry
          // whose output waits (look-ahead) holds its own bytes and not the whole buffer.
          else resolve(out.byteLength * 2 < out.buffer.byteLength ? Buffer.from(out) : out);
        },
      ),
    );
    job.catch(() => undefined); // surfaced when awaited in order
    this.inFlight.push(job);
    // zlib copied the dictionary when the job was created, so the buffer can take the next one.
    this.hasDictionary = block.length >= DICTIONARY;
    if (this.hasDictionary) {
      this.dictionary ??= Buffer.allocUnsafe(DICTIONARY);
      block.copy(this.dictionary, 0, block.length - DICTIONARY);
    }
  }
}
