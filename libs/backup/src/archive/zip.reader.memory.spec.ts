import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ZipReader } from './zip.reader';
import { ZipWriter } from './zip.writer';

/**
 * What the reader keeps per entry (issue 20: 70,000 small files): numbers and the name, no
 * Buffer of its own (each one pins an 8 KiB allocation pool), no yauzl entry, no Date.
 */
describe('ZipReader per-entry state', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-reader-mem-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps no Buffer, Date or yauzl entry per entry, and still reads every entry', async () => {
    const password = 'p'.repeat(32);
    const writer = new ZipWriter({ encryption: 'aes256', password, appName: 'mem' });
    const chunks: Buffer[] = [];
    writer.output.on('data', (c: Buffer) => chunks.push(c));
    const names = Array.from({ length: 300 }, (_, i) => `files/t-${i % 7}/é-${i}.txt`);
    await Promise.all(
      names.map((n, i) =>
        writer.addEntry(n, Readable.from([Buffer.from(`file ${i} `.repeat(i + 1))]), {
          kind: 'file',
          mtime: new Date(1_700_000_000_000),
          mode: i % 2 ? 0o100755 : 0o600,
        }),
      ),
    );
    await writer.finish();
    const file = join(dir, 'a.zip');
    writeFileSync(file, Buffer.concat(chunks));

    const zip = await ZipReader.open(file, { password });
    try {
      const states = [...(zip as unknown as { byName: Map<string, object> }).byName.values()];
      expect(states).toHaveLength(301);
      for (const state of states) {
        for (const value of Object.values(state)) {
          expect(value instanceof Uint8Array || value instanceof Date || (typeof value === 'object' && value !== null)).toBe(false);
          // A 32-bit integer is held in the object itself; a CRC above 2^31 or a time in
          // milliseconds would be a boxed number of 16 bytes more.
          if (typeof value === 'number') expect(value | 0).toBe(value);
        }
      }
      const info = zip.entry(names[5])!;
      expect(info).toMatchObject({
        name: names[5],
        size: Buffer.byteLength('file 5 '.repeat(6)),
        encrypted: true,
        winZipAes: true,
        method: 8,
      });
      expect(info.mtime.getTime()).toBe(1_700_000_000_000);
      expect(info.mode).toBe(0o100755);
      expect(zip.entry(names[4])!.mode).toBe(0o100600);
      const report = await zip.verify();
      expect(report).toMatchObject({ ok: true, entriesChecked: 301, faults: [] });
    } finally {
      await zip.close();
    }
  });
});
