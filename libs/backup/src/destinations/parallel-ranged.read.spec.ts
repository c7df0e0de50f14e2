import { Readable } from 'node:stream';
import { parallelRangedRead } from './parallel-ranged.read';

const object = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i % 251));

/** A fake server: answers ranges of `object` after a delay, counting requests in flight. */
function fakeServer(delays: (start: number) => number = () => 5) {
  let inFlight = 0;
  let most = 0;
  const asked: Array<[number, number]> = [];
  const fetch = async (start: number, end: number): Promise<Readable> => {
    asked.push([start, end]);
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((r) => setTimeout(r, delays(start)));
    inFlight--;
    return Readable.from([object.subarray(start, end + 1)]);
  };
  return { fetch, asked, most: () => most };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('parallelRangedRead', () => {
  it('returns the range byte for byte, in order, even when later pieces answer first', async () => {
    const server = fakeServer((start) => (start < 3000 ? 30 : 1));
    const out = await readAll(await parallelRangedRead(100, 9_099, { pieceBytes: 1000, concurrency: 3 }, server.fetch));
    expect(out.equals(object.subarray(100, 9_100))).toBe(true);
    expect(server.asked).toHaveLength(9);
    expect(server.asked[8]).toEqual([8100, 9099]);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    const server = fakeServer();
    await readAll(await parallelRangedRead(0, 9_999, { pieceBytes: 500, concurrency: 4 }, server.fetch));
    expect(server.most()).toBe(4);
    expect(server.asked).toHaveLength(20);
  });

  it('hands the bytes on in runs of about 256 KiB, whatever sizes the socket delivered', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    const smallChunks = async (start: number, end: number) => {
      const data = big.subarray(start, end + 1);
      return Readable.from(Array.from({ length: Math.ceil(data.length / 16384) }, (_, i) => data.subarray(i * 16384, (i + 1) * 16384)));
    };
    const sizes: number[] = [];
    for await (const c of await parallelRangedRead(0, big.length - 1, { pieceBytes: 1024 * 1024, concurrency: 2 }, smallChunks))
      sizes.push((c as Buffer).length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(big.length);
    expect(sizes.every((n) => n === 256 * 1024)).toBe(true);
  });

  it('throws from the call when the first piece is refused (a missing object)', async () => {
    const fetch = () => Promise.reject(new Error('NoSuchKey'));
    await expect(parallelRangedRead(0, 9_999, { pieceBytes: 1000, concurrency: 4 }, fetch)).rejects.toThrow('NoSuchKey');
  });

  it('fails the stream when a later piece fails, or comes back short', async () => {
    const failing = async (start: number, end: number) => {
      if (start === 3000) throw new Error('connection reset after retries');
      return Readable.from([object.subarray(start, end + 1)]);
    };
    await expect(readAll(await parallelRangedRead(0, 9_999, { pieceBytes: 1000, concurrency: 2 }, failing))).rejects.toThrow(
      'connection reset',
    );
    const short = async (start: number, end: number) => Readable.from([object.subarray(start, start === 5000 ? end - 9 : end + 1)]);
    await expect(readAll(await parallelRangedRead(0, 9_999, { pieceBytes: 1000, concurrency: 2 }, short))).rejects.toThrow(
      'returned 990 bytes for bytes 5000-5999',
    );
  });
});
