import { createWriteStream } from 'node:fs';
import { readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import * as yazl from 'yazl';
import {
  CorruptArchiveError,
  NotAZipError,
  PasswordRequiredError,
  RandomAccessSource,
  TruncatedArchiveError,
  UnsafeEntryNameError,
  WrongPasswordError,
  ZipReader,
  ZipWriter,
} from '../../libs/backup/src/archive';
import { PASSWORD, readAll, sqlText, tempDir, TestEntry, writeArchive } from './archive.fixtures';

describe('the reader reports damaged, foreign and hostile archives clearly', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const dump = sqlText(30_000);
  const entries: TestEntry[] = [
    { name: 'db/shop.sql', data: dump, kind: 'database-dump' },
    { name: 'files/a.txt', data: Buffer.from('hello\n'.repeat(100)) },
  ];
  let good: Buffer;
  let goodPath: string;
  let dataStart: number;
  let dataEnd: number;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    goodPath = join(dir, 'good.zip');
    const summary = await writeArchive(goodPath, entries);
    good = await readFile(goodPath);
    // db/shop.sql is the first entry: local header (30 + name + 20 bytes of extra fields) then its data.
    dataStart = 30 + Buffer.byteLength('db/shop.sql') + 20;
    dataEnd = dataStart + summary.entries[0].compressedSize;
  });
  afterAll(() => cleanup());

  async function damaged(name: string, change: (b: Buffer) => void): Promise<string> {
    const copy = Buffer.from(good);
    change(copy);
    const path = join(dir, name);
    await writeFile(path, copy);
    return path;
  }

  const positions: Array<[string, () => number]> = [
    ['the salt', () => dataStart + 3],
    ['the password verifier', () => dataStart + 16],
    ['the first ciphertext byte', () => dataStart + 18],
    ['the middle of the ciphertext', () => Math.floor((dataStart + dataEnd) / 2)],
    ['the authentication code', () => dataEnd - 1],
  ];
  for (const [where, at] of positions) {
    it(`a flipped byte in ${where} gives CorruptArchiveError naming the entry`, async () => {
      const path = await damaged(`flip-${at()}.zip`, (b) => (b[at()] ^= 0x40));
      const reader = await ZipReader.open(path, { password: PASSWORD });
      try {
        const err = await reader
          .openEntry('db/shop.sql')
          .then(readAll)
          .then(
            () => undefined,
            (e) => e,
          );
        expect(err).toBeInstanceOf(CorruptArchiveError);
        expect(err.entry).toBe('db/shop.sql');
        expect(err.message).toContain('db/shop.sql');
        // The other entry is still fine, and verify() names exactly the damaged one.
        expect((await readAll(await reader.openEntry('files/a.txt'))).equals(entries[1].data)).toBe(true);
        const report = await reader.verify();
        expect(report.ok).toBe(false);
        expect(report.faults.map((f) => f.entry)).toEqual(['db/shop.sql']);
      } finally {
        await reader.close();
      }
    });
  }

  it('a plaintext whose SHA-256 differs from manifest.json is refused even when the CRC was forged', async () => {
    const path = join(dir, 'plain.zip');
    await writeArchive(path, [{ name: 'x.txt', data: Buffer.from('original content, 32 bytes long!') }], { encryption: 'none', level: 0 });
    const bytes = await readFile(path);
    const start = 30 + 'x.txt'.length + 9; // no AES extra when unencrypted
    bytes.write('ORIGINAL', start);
    const forged = crc32(bytes.subarray(start, start + 32));
    const central = bytes.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bytes.writeUInt32LE(forged, central + 16);
    await writeFile(path, bytes);
    const reader = await ZipReader.open(path);
    await expect(reader.openEntry('x.txt').then(readAll)).rejects.toThrow(/x\.txt.*SHA-256 does not match manifest/s);
    await reader.close();
  });

  it('a wrong password gives WrongPasswordError before any data flows', async () => {
    const reader = await ZipReader.open(goodPath, { password: 'wrong password' });
    await expect(reader.openEntry('db/shop.sql')).rejects.toBeInstanceOf(WrongPasswordError);
    await expect(reader.readManifest()).rejects.toBeInstanceOf(WrongPasswordError);
    await expect(reader.verify()).rejects.toBeInstanceOf(WrongPasswordError);
    await reader.close();
    const noPassword = await ZipReader.open(goodPath);
    await expect(noPassword.openEntry('db/shop.sql')).rejects.toBeInstanceOf(PasswordRequiredError);
    await noPassword.close();
  });

  it('error messages never contain the password', async () => {
    const reader = await ZipReader.open(goodPath, { password: 'wrong password' });
    const err = await reader.openEntry('db/shop.sql').catch((e) => e);
    expect(err.message).not.toContain('wrong password');
    await reader.close();
  });

  for (const keep of [0.5, 0.999]) {
    it(`an archive cut off at ${keep * 100}% gives TruncatedArchiveError`, async () => {
      const path = await damaged(`cut-${keep}.zip`, () => undefined);
      await truncate(path, Math.floor(good.length * keep));
      await expect(ZipReader.open(path, { password: PASSWORD })).rejects.toBeInstanceOf(TruncatedArchiveError);
    });
  }

  it('a non-ZIP file and an empty file give NotAZipError', async () => {
    const text = join(dir, 'notes.txt');
    await writeFile(text, 'this is just some text, not an archive\n'.repeat(100));
    await expect(ZipReader.open(text)).rejects.toBeInstanceOf(NotAZipError);
    const empty = join(dir, 'empty.zip');
    await writeFile(empty, '');
    await expect(ZipReader.open(empty)).rejects.toBeInstanceOf(NotAZipError);
  });

  for (const [label, honest, hostile] of [
    ['a ".." segment', 'aa/evil.txt', '../evil.txt'],
    ['an absolute path', 'xetc/evil', '/etc/evil'],
    ['a drive letter', 'Cx/evil.txt', 'C:/evil.txt'],
    ['a backslash', 'aa_evil.txt', '..\\evil.txt'],
    ['a NUL byte', 'evil.txtx.png', 'evil.txt\0.png'],
  ]) {
    it(`refuses an archive whose entry name has ${label} (zip-slip)`, async () => {
      const zip = new yazl.ZipFile();
      zip.addBuffer(Buffer.from('pwned'), 'fine.txt');
      zip.addBuffer(Buffer.from('pwned'), honest);
      const path = join(dir, `slip-${label.replace(/\W+/g, '')}.zip`);
      zip.end();
      await pipeline(zip.outputStream as Readable, createWriteStream(path));
      // Patch the name in both the local and the central header (same length).
      const bytes = await readFile(path);
      let at = -1;
      while ((at = bytes.indexOf(honest, at + 1)) !== -1) bytes.write(hostile, at, 'latin1');
      await writeFile(path, bytes);
      const err = await ZipReader.open(path).catch((e) => e);
      expect(err).toBeInstanceOf(UnsafeEntryNameError);
      expect(err.entryName).toBe(hostile);
    });
  }

  it('the writer refuses unsafe entry names before writing anything', async () => {
    const writer = new ZipWriter({ encryption: 'none', appName: 't' });
    for (const name of ['../x', '/abs', 'C:/x', 'a\\b', 'a\0b', 'a/../../b', '', 'manifest.json']) {
      await expect(writer.addEntry(name, Readable.from([Buffer.from('x')]), { kind: 'file' })).rejects.toThrow();
    }
    await expect(writer.addEntry('../x', Readable.from([]), { kind: 'file' })).rejects.toBeInstanceOf(UnsafeEntryNameError);
    writer.abort(new Error('test over'));
  });

  it('reads through a RandomAccessSource (range reads, as from S3)', async () => {
    const ranges: Array<[number, number]> = [];
    const source: RandomAccessSource = {
      size: good.length,
      read: async (start, end) => {
        ranges.push([start, end]);
        return Readable.from([good.subarray(start, end + 1)]);
      },
    };
    const reader = await ZipReader.open(source, { password: PASSWORD });
    expect((await readAll(await reader.openEntry('db/shop.sql'))).equals(dump)).toBe(true);
    expect((await reader.readManifest()).entries.map((e) => e.path)).toEqual(['db/shop.sql', 'files/a.txt']);
    expect(ranges.every(([s, e]) => s >= 0 && e < good.length && e >= s)).toBe(true);
    await reader.close();
  });

  it('verify({ readData }) checks the local headers of the entries it skips with small range reads, and still finds a damaged one', async () => {
    const big = (i: number) => Buffer.from(Array.from({ length: 40_000 }, (_, j) => `file ${i} line ${j}\n`).join(''));
    const many: TestEntry[] = [
      { name: 'db/shop.sql', data: dump, kind: 'database-dump' },
      ...Array.from({ length: 20 }, (_, i) => ({ name: `files/f${i}.log`, data: big(i) })),
    ];
    const path = join(dir, 'many.zip');
    await writeArchive(path, many);
    const bytes = await readFile(path);
    let read = 0;
    const source: RandomAccessSource = {
      size: bytes.length,
      read: async (start, end) => {
        read += end + 1 - start;
        return Readable.from([bytes.subarray(start, end + 1)]);
      },
    };
    const reader = await ZipReader.open(source, { password: PASSWORD });
    read = 0;
    const report = await reader.verify({ readData: (entry) => entry.startsWith('db/') });
    const readEntries = reader.entries().filter((e) => !e.name.startsWith('files/'));
    const skipped = reader.entries().length - readEntries.length;
    await reader.close();
    expect(report.ok).toBe(true);
    expect(report.entriesChecked).toBe(2); // the dump and the manifest
    // The read entries' data, their headers, and a few KiB per skipped entry: not a 256 KiB window each.
    const dataRead = readEntries.reduce((sum, e) => sum + e.compressedSize, 0);
    expect(skipped).toBe(20);
    expect(read).toBeLessThan(dataRead + (skipped + readEntries.length) * 8 * 1024);

    // The local header of files/f7.log names another file: reported although its data is not read.
    const at = bytes.indexOf(Buffer.from('files/f7.log'));
    const copy = Buffer.from(bytes);
    copy.write('X', at + 'files/'.length);
    const damagedPath = join(dir, 'many-damaged.zip');
    await writeFile(damagedPath, copy);
    const damagedReader = await ZipReader.open(damagedPath, { password: PASSWORD });
    const faults = (await damagedReader.verify({ readData: (entry) => entry.startsWith('db/') })).faults;
    await damagedReader.close();
    expect(faults).toEqual([{ entry: 'files/f7.log', message: expect.stringContaining('local header names another file') }]);
  });
});
