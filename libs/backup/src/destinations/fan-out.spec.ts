import { Readable, Writable } from 'node:stream';
import { AllDestinationsFailedError } from './destination.errors';
import { DestinationUpload, StoredObject } from './destination.interface';
import { fanOut } from './fan-out';

/** An in-memory upload whose writes take `delayMs` each and that can fail after N bytes. */
class MemoryUpload implements DestinationUpload {
  readonly key = 'app/x.zip';
  readonly chunks: Buffer[] = [];
  aborted = false;
  completed = false;
  readonly stream: Writable;

  constructor(
    readonly destination: string,
    opts: { delayMs?: number; failAfterBytes?: number; highWaterMark?: number } = {},
  ) {
    let seen = 0;
    this.stream = new Writable({
      highWaterMark: opts.highWaterMark ?? 1024,
      write: (chunk: Buffer, _enc, cb) => {
        seen += chunk.length;
        if (opts.failAfterBytes !== undefined && seen > opts.failAfterBytes) return cb(new Error(`${destination} broke`));
        this.chunks.push(chunk);
        if (opts.delayMs) setTimeout(cb, opts.delayMs);
        else cb();
      },
    });
  }

  async complete(): Promise<StoredObject> {
    this.completed = true;
    return { key: this.key, size: Buffer.concat(this.chunks).length, lastModified: new Date() };
  }

  async abort(): Promise<void> {
    this.aborted = true;
    this.stream.destroy();
  }
}

/** A source of `count` chunks of 1 KiB that records how far ahead of the consumer it got. */
function countingSource(count: number) {
  const state = { produced: 0 };
  const stream = new Readable({
    highWaterMark: 1024,
    read() {
      if (state.produced === count) return this.push(null);
      state.produced++;
      this.push(Buffer.alloc(1024, state.produced % 256));
    },
  });
  return { stream, state };
}

describe('fanOut', () => {
  it('writes the same bytes to every upload and does not complete them', async () => {
    const a = new MemoryUpload('local');
    const b = new MemoryUpload('s3');
    const { stream } = countingSource(50);
    const results = await fanOut(stream, [a, b]);

    expect(results).toEqual([
      { destination: 'local', key: 'app/x.zip', ok: true, error: undefined, bytes: 50 * 1024 },
      { destination: 's3', key: 'app/x.zip', ok: true, error: undefined, bytes: 50 * 1024 },
    ]);
    expect(Buffer.concat(a.chunks).equals(Buffer.concat(b.chunks))).toBe(true);
    expect(a.completed || b.completed).toBe(false);
    expect(a.stream.writableFinished && b.stream.writableFinished).toBe(true);
  });

  it('lets the slowest destination pace the source (bounded read-ahead)', async () => {
    const fast = new MemoryUpload('fast');
    const slow = new MemoryUpload('slow', { delayMs: 5 });
    const { stream, state } = countingSource(40);
    let maxAhead = 0;
    const probe = setInterval(() => {
      const written = slow.chunks.length;
      maxAhead = Math.max(maxAhead, state.produced - written);
    }, 1);
    await fanOut(stream, [fast, slow]);
    clearInterval(probe);
    // Source + stream buffers hold a few KiB, never the whole 40 KiB.
    expect(maxAhead).toBeLessThan(10);
    expect(slow.chunks.length).toBe(40);
  });

  it('detaches and aborts a failing destination while the others finish', async () => {
    const good = new MemoryUpload('local');
    const bad = new MemoryUpload('s3', { failAfterBytes: 10 * 1024 });
    const { stream } = countingSource(30);
    const [r1, r2] = await fanOut(stream, [good, bad]);

    expect(r1).toMatchObject({ destination: 'local', ok: true, bytes: 30 * 1024 });
    expect(r2.ok).toBe(false);
    expect(r2.error?.message).toBe('s3 broke');
    expect(r2.bytes).toBeLessThan(30 * 1024);
    expect(bad.aborted).toBe(true);
    expect(good.aborted).toBe(false);
    expect(Buffer.concat(good.chunks).length).toBe(30 * 1024);
  });

  it('names the failed write itself, not its consequence, when more data comes before the error event', async () => {
    // A failed write destroys the stream at once and emits its 'error' a tick later; with a big
    // buffer (the local disk's 1 MiB) the next chunk can come in between (ENOSPC on a full disk).
    const full = new MemoryUpload('local', { highWaterMark: 1024 * 1024 });
    const source = new Readable({ read: () => undefined });
    const done = fanOut(source, [full]);
    source.push(Buffer.alloc(1024, 1));
    await new Promise((r) => setImmediate(r));
    full.stream.destroy(new Error('local broke'));
    source.push(Buffer.alloc(1024, 2)); // a flowing source emits this at once, before the error event
    source.push(null);
    const [result] = await done;
    expect(result.ok).toBe(false);
    expect(result.error?.message).toBe('local broke');
  });

  it('destroys the source when every destination failed, so the producer stops', async () => {
    const a = new MemoryUpload('local', { failAfterBytes: 2048 });
    const b = new MemoryUpload('s3', { failAfterBytes: 4096 });
    const { stream, state } = countingSource(100_000);
    const results = await fanOut(stream, [a, b]);

    expect(results.every((r) => !r.ok)).toBe(true);
    expect(stream.destroyed).toBe(true);
    expect(state.produced).toBeLessThan(100);
    expect(a.aborted && b.aborted).toBe(true);
  });

  it('rejects with the source error and aborts every upload when the source fails', async () => {
    const a = new MemoryUpload('local');
    const b = new MemoryUpload('s3');
    let n = 0;
    const source = new Readable({
      read() {
        if (++n === 5) this.destroy(new Error('pg_dump exited with code 1'));
        else this.push(Buffer.alloc(100));
      },
    });
    await expect(fanOut(source, [a, b])).rejects.toThrow('pg_dump exited with code 1');
    expect(a.aborted && b.aborted).toBe(true);
  });

  it('with no upload at all, stops the source with a clear error', async () => {
    const { stream } = countingSource(10);
    const errors: Error[] = [];
    stream.on('error', (e) => errors.push(e));
    expect(await fanOut(stream, [])).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(errors[0]).toBeInstanceOf(AllDestinationsFailedError);
  });
});
