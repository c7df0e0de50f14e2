import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { DeflateSlots, ParallelDeflater } from './parallel-deflate';

function text(bytes: number): Buffer {
  const rows: string[] = [];
  let length = 0;
  for (let i = 0; length < bytes; i++) {
    const row = `INSERT INTO t VALUES (${i}, 'name-${(i * 7919) % 1009}', ${(i * 31) % 997});\n`;
    rows.push(row);
    length += row.length;
  }
  return Buffer.from(rows.join('')).subarray(0, bytes);
}

async function compress(data: Buffer, blockSize: number, pieceSize: number): Promise<Buffer> {
  const out: Buffer[] = [];
  const d = new ParallelDeflater(6, async (b) => void out.push(b), blockSize, 3);
  for (let i = 0; i < data.length; i += pieceSize) await d.write(data.subarray(i, i + pieceSize));
  await d.end();
  return Buffer.concat(out);
}

describe('ParallelDeflater', () => {
  const block = 64 * 1024;
  it.each([0, 1, block - 1, block, block + 1, Math.floor(3.5 * block), 10 * block])(
    'produces one valid raw deflate stream for %i bytes',
    async (size) => {
      const data = text(size);
      const packed = await compress(data, block, 10_007);
      expect(inflateRawSync(packed).equals(data)).toBe(true);
    },
  );

  it('stays within 2% of a single-stream deflate thanks to the 32 KiB dictionary', async () => {
    const data = text(2 * 1024 * 1024);
    const parallel = (await compress(data, 256 * 1024, 65_536)).length;
    const single = deflateRawSync(data, { level: 6 }).length;
    expect(parallel / single).toBeLessThan(1.02);
  });

  it('deflaters sharing slots and recycled blocks each still produce their own exact stream', async () => {
    // Two entries at once, blocks handed back and forth through one pool: a block reused too
    // early, or a dictionary read from a reused block, would corrupt one of the streams.
    const slots = new DeflateSlots(2);
    const inputs = [text(1_300_000), Buffer.from(text(1_100_000).toString().split('').reverse().join(''))];
    const outputs = await Promise.all(
      inputs.map(async (data, n) => {
        const out: Buffer[] = [];
        const d = new ParallelDeflater(6, async (b) => void out.push(b), block, 3, slots);
        const piece = n === 0 ? 7_001 : 65_536;
        for (let i = 0; i < data.length; i += piece) await d.write(data.subarray(i, i + piece));
        await d.end();
        return Buffer.concat(out);
      }),
    );
    outputs.forEach((packed, n) => expect(inflateRawSync(packed).equals(inputs[n])).toBe(true));
  });
});
