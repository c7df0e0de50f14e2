import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipReader } from './zip.reader';
import { ZipWriter } from './zip.writer';

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** Several small chunks, so the writer's look at the first 64 KiB spans chunk boundaries. */
const chunked = (data: Buffer, piece = 10_000) =>
  Readable.from(Array.from({ length: Math.ceil(data.length / piece) }, (_, i) => data.subarray(i * piece, (i + 1) * piece)));

describe('ZipWriter: deflate or stored per entry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-zip-method-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stores files that do not compress, deflates text and dumps, and reads every one back intact', async () => {
    const image = randomBytes(300 * 1024);
    const text = Buffer.from('2026-01-01 INFO request served in 12 ms\n'.repeat(8000));
    const tiny = randomBytes(500);
    const dumpOfRandom = randomBytes(100 * 1024);
    const file = join(dir, 'mixed.zip');
    const writer = new ZipWriter({ encryption: 'aes256', password: 'a-password-of-some-length', level: 6, appName: 't' });
    const written = pipeline(writer.output, createWriteStream(file));
    await writer.addEntry('files/photo.jpg', chunked(image), { kind: 'file' });
    await writer.addEntry('files/app.log', chunked(text), { kind: 'file' });
    await writer.addEntry('files/tiny.bin', Readable.from([tiny]), { kind: 'file' });
    await writer.addEntry('db-dumps/x.sql', chunked(dumpOfRandom), { kind: 'database-dump' });
    await writer.finish();
    await written;

    const zip = await ZipReader.open(file, { password: 'a-password-of-some-length' });
    try {
      const method = (name: string) => zip.entries().find((e) => e.name === name)?.method;
      expect(method('files/photo.jpg')).toBe(0);
      expect(method('files/tiny.bin')).toBe(0);
      expect(method('files/app.log')).toBe(8);
      expect(method('db-dumps/x.sql')).toBe(8); // dumps are always deflated
      expect((await readAll(await zip.openEntry('files/photo.jpg'))).equals(image)).toBe(true);
      expect((await readAll(await zip.openEntry('files/app.log'))).equals(text)).toBe(true);
      expect((await readAll(await zip.openEntry('files/tiny.bin'))).equals(tiny)).toBe(true);
      expect((await readAll(await zip.openEntry('db-dumps/x.sql'))).equals(dumpOfRandom)).toBe(true);
      expect((await zip.verify()).ok).toBe(true);
    } finally {
      await zip.close();
    }
  });
});
