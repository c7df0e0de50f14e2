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
  private tail: Buffer | undefined;

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
      const all = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partsLength);
      const block = all.subarray(0, this.blockSize);
      const rest = all.subarray(this.blockSize);
      this.parts = rest.length ? [rest] : [];
      this.partsLength = rest.length;
      await this.hold(block);
    }
  }

  /** Compresses what is left with Z_FINISH and emits everything. */
  async end(): Promise<void> {
    const restBlock = Buffer.concat(this.parts, this.partsLength);
    this.parts = [];
    this.partsLength = 0;
    if (restBlock.length > 0 || this.held === null) await this.hold(restBlock);
    await this.submit(this.held as Buffer, true);
    this.held = null;
    while (this.inFlight.length > 0) await this.emit(await (this.inFlight.shift() as Promise<Buffer>));
  }

  /** A block is compressed only once the next one exists, so the last one can get Z_FINISH. */
  private async hold(block: Buffer): Promise<void> {
    if (this.held) await this.submit(this.held, false);
    this.held = block;
    while (this.inFlight.length >= this.maxInFlight) {
      await this.emit(await (this.inFlight.shift() as Promise<Buffer>));
    }
  }

  private async submit(block: Buffer, last: boolean): Promise<void> {
    await this.slots?.acquire();
    const dictionary = this.tail;
    this.tail = block.length >= DICTIONARY ? block.subarray(block.length - DICTIONARY) : undefined;
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
          if (err) reject(err);
          // A small output is a view into zlib's 128 KiB output buffer: copied, so that an entry
          // whose output waits (look-ahead) holds its own bytes and not the whole buffer.
          else resolve(out.byteLength * 2 < out.buffer.byteLength ? Buffer.from(out) : out);
        },
      ),
    );
    job.catch(() => undefined); // surfaced when awaited in order
    this.inFlight.push(job);
  }
}
