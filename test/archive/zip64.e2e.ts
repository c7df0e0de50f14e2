import { stat } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipReader, ZipWriter } from '../../libs/backup/src/archive';
import { run7z, testWith7z } from '../support/seven-zip';
import { tempDir } from './archive.fixtures';

const GiB = 1024 ** 3;

/** Reads the classic end record: ZIP64 archives put 0xFFFF / 0xFFFFFFFF there and a ZIP64 record before it. */
async function endRecords(path: string): Promise<{ count: number; zip64: boolean }> {
  const { size } = await stat(path);
  const fh = await open(path, 'r');
  try {
    const tail = Buffer.alloc(98);
    await fh.read(tail, 0, 98, size - 98);
    return { count: tail.readUInt16LE(98 - 22 + 10), zip64: tail.readUInt32LE(0) === 0x06064b50 };
  } finally {
    await fh.close();
  }
}

describe('ZIP64 archives round-trip through the reader and 7-Zip', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempDir()));
  afterAll(() => cleanup());

  // 7–19 s alone; in full in-band runs of the suite (CI) it has taken over 120 s, which was not
  // reproduced with any subset of the suites run before it. Its subject is the format, not the
  // speed (that is the files bench), so it gets room; when it is slow it prints where the time went.
  it('an archive with more than 65,535 entries', async () => {
    const count = 70_000;
    const started = Date.now();
    const phases: string[] = [];
    const mark = (phase: string) => phases.push(`${phase} at ${Date.now() - started} ms`);
    const path = join(dir, 'many.zip');
    const writer = new ZipWriter({ encryption: 'none', level: 0, appName: 'zip64-test' });
    const written = pipeline(writer.output, createWriteStream(path));
    const adds: Promise<unknown>[] = [];
    for (let i = 0; i < count; i++) {
      adds.push(writer.addEntry(`files/${Math.floor(i / 1000)}/f${i}.txt`, Readable.from([Buffer.from(`entry ${i}\n`)]), { kind: 'file' }));
    }
    await Promise.all(adds);
    mark('entries written');
    const summary = await writer.finish();
    await written;
    mark('archive finished');
    expect(summary.entries).toHaveLength(count);
    expect(await endRecords(path)).toEqual({ count: 0xffff, zip64: true });

    const reader = await ZipReader.open(path);
    try {
      const listed = reader.entries();
      expect(listed).toHaveLength(count + 1);
      const chunks: Buffer[] = [];
      for await (const c of await reader.openEntry('files/69/f69999.txt')) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe('entry 69999\n');
      expect((await reader.readManifest()).entries).toHaveLength(count);
      mark('listed and manifest read');
      const report = await reader.verify();
      mark('verified');
      expect(report.faults).toEqual([]);
      expect(report.entriesChecked).toBe(count + 1);
    } finally {
      await reader.close();
    }
    const tested = await testWith7z(path);
    mark('tested by 7-Zip');
    if (Date.now() - started > 60_000) console.log(`zip64 70,000 entries, slow run: ${phases.join(', ')}`);
    expect(tested.code).toBe(0);
    expect(tested.stdout).toMatch(new RegExp(`Files: ${count + 1}\\b`));
    expect(tested.stdout).toMatch(/Everything is Ok/);
  }, 600_000);

  it('an entry over 4 GiB streamed from a generator', async () => {
    const total = 4 * GiB + 300 * 1024 * 1024 + 12345;
    function* generate(): Generator<Buffer> {
      // Compressible but not constant: every 64 KiB piece carries its own sequence number.
      const piece = Buffer.alloc(64 * 1024, 'INSERT INTO big VALUES (1, 2, 3);\n');
      let sent = 0;
      for (let n = 0; sent < total; n++) {
        const chunk = Buffer.from(piece.subarray(0, Math.min(piece.length, total - sent)));
        chunk.write(`-- ${n} --`, 0);
        sent += chunk.length;
        yield chunk;
      }
    }
    const path = join(dir, 'big.zip');
    const writer = new ZipWriter({ encryption: 'none', level: 1, appName: 'zip64-test' });
    const written = pipeline(writer.output, createWriteStream(path));
    const record = await writer.addEntry('db/big.sql', Readable.from(generate()), { kind: 'database-dump' });
    await writer.finish();
    await written;
    expect(record.size).toBe(total);
    expect((await stat(path)).size).toBeLessThan(GiB); // streamed and compressed, never the plaintext on disk

    const reader = await ZipReader.open(path);
    try {
      const [entry] = reader.entries();
      expect(entry).toMatchObject({ name: 'db/big.sql', size: total });
      // Reads all 4.3 GiB through inflate, size, CRC-32 and the manifest's SHA-256.
      const report = await reader.verify();
      expect(report.faults).toEqual([]);
      expect(report.bytes).toBeGreaterThan(total);
    } finally {
      await reader.close();
    }
    const listing = await run7z(['l', '-slt', path]);
    expect(listing.stdout).toContain(`Size = ${total}`);
    const tested = await testWith7z(path);
    expect(tested.code).toBe(0);
    expect(tested.stdout).toMatch(/Everything is Ok/);
  });
});
