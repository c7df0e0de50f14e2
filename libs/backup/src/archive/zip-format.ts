/** ZIP record layouts (APPNOTE 6.3.x) and the WinZip AES extra field, written by hand. */

export const SIG_LOCAL = 0x04034b50;
export const SIG_CENTRAL = 0x02014b50;
export const SIG_DESCRIPTOR = 0x08074b50;
export const SIG_EOCD = 0x06054b50;
export const SIG_ZIP64_EOCD = 0x06064b50;
export const SIG_ZIP64_LOCATOR = 0x07064b50;

export const METHOD_STORED = 0;
export const METHOD_DEFLATE = 8;
export const METHOD_AES = 99;

export const FLAG_ENCRYPTED = 0x0001;
export const FLAG_DATA_DESCRIPTOR = 0x0008;
export const FLAG_UTF8 = 0x0800;

export const EXTRA_ZIP64 = 0x0001;
export const EXTRA_TIMESTAMP = 0x5455;
export const EXTRA_AES = 0x9901;

export const MAX32 = 0xffffffff;
export const MAX16 = 0xffff;

/** What the central directory needs to know about one written entry. */
export interface CentralRecord {
  nameBytes: Buffer;
  flags: number;
  method: number;
  versionNeeded: number;
  dosTime: number;
  dosDate: number;
  mtimeUnix: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  offset: number;
  mode: number;
  aes?: { vendorVersion: number; strength: number; actualMethod: number };
}

export function dosDateTime(date: Date): { time: number; date: number } {
  let year = date.getFullYear();
  if (year < 1980) return { time: 0, date: (1 << 5) | 1 };
  if (year > 2107) year = 2107;
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | (date.getSeconds() >> 1),
    date: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

export function aesExtra(vendorVersion: number, strength: number, actualMethod: number): Buffer {
  const b = Buffer.alloc(11);
  b.writeUInt16LE(EXTRA_AES, 0);
  b.writeUInt16LE(7, 2);
  b.writeUInt16LE(vendorVersion, 4);
  b.write('AE', 6, 'latin1');
  b.writeUInt8(strength, 8);
  b.writeUInt16LE(actualMethod, 9);
  return b;
}

/** Extended timestamp (0x5455) with the modification time only: keeps UTC seconds. */
export function timestampExtra(mtimeUnix: number): Buffer {
  const b = Buffer.alloc(9);
  b.writeUInt16LE(EXTRA_TIMESTAMP, 0);
  b.writeUInt16LE(5, 2);
  b.writeUInt8(1, 4);
  b.writeInt32LE(Math.max(-0x80000000, Math.min(0x7fffffff, mtimeUnix)), 5);
  return b;
}

export function writeUInt64LE(b: Buffer, value: number, offset: number): void {
  b.writeUInt32LE(value % 0x100000000, offset);
  b.writeUInt32LE(Math.floor(value / 0x100000000), offset + 4);
}

/** Local header for a streamed entry: sizes and CRC follow in a data descriptor (flag bit 3). */
export function localHeader(r: CentralRecord): Buffer {
  const extra = Buffer.concat([
    timestampExtra(r.mtimeUnix),
    ...(r.aes ? [aesExtra(r.aes.vendorVersion, r.aes.strength, r.aes.actualMethod)] : []),
  ]);
  const h = Buffer.alloc(30);
  h.writeUInt32LE(SIG_LOCAL, 0);
  h.writeUInt16LE(r.versionNeeded, 4);
  h.writeUInt16LE(r.flags, 6);
  h.writeUInt16LE(r.method, 8);
  h.writeUInt16LE(r.dosTime, 10);
  h.writeUInt16LE(r.dosDate, 12);
  // CRC-32 and both sizes are zero here; they are in the data descriptor.
  h.writeUInt16LE(r.nameBytes.length, 26);
  h.writeUInt16LE(extra.length, 28);
  return Buffer.concat([h, r.nameBytes, extra]);
}

/** Data descriptor; 8-byte sizes when the entry needed ZIP64. */
export function dataDescriptor(r: CentralRecord, zip64: boolean): Buffer {
  if (zip64) {
    const b = Buffer.alloc(24);
    b.writeUInt32LE(SIG_DESCRIPTOR, 0);
    b.writeUInt32LE(r.crc32, 4);
    writeUInt64LE(b, r.compressedSize, 8);
    writeUInt64LE(b, r.uncompressedSize, 16);
    return b;
  }
  const b = Buffer.alloc(16);
  b.writeUInt32LE(SIG_DESCRIPTOR, 0);
  b.writeUInt32LE(r.crc32, 4);
  b.writeUInt32LE(r.compressedSize, 8);
  b.writeUInt32LE(r.uncompressedSize, 12);
  return b;
}

export function needsZip64(r: CentralRecord): boolean {
  return r.compressedSize >= MAX32 || r.uncompressedSize >= MAX32 || r.offset >= MAX32;
}

/** Central directory header; a ZIP64 extra carries whichever values overflow (all of them when forced). */
export function centralHeader(r: CentralRecord, forceZip64: boolean): Buffer {
  const bigU = forceZip64 || r.uncompressedSize >= MAX32;
  const bigC = forceZip64 || r.compressedSize >= MAX32;
  const bigO = forceZip64 || r.offset >= MAX32;
  const parts: Buffer[] = [];
  if (bigU || bigC || bigO) {
    const values: number[] = [];
    if (bigU) values.push(r.uncompressedSize);
    if (bigC) values.push(r.compressedSize);
    if (bigO) values.push(r.offset);
    const z = Buffer.alloc(4 + 8 * values.length);
    z.writeUInt16LE(EXTRA_ZIP64, 0);
    z.writeUInt16LE(8 * values.length, 2);
    values.forEach((v, i) => writeUInt64LE(z, v, 4 + 8 * i));
    parts.push(z);
  }
  parts.push(timestampExtra(r.mtimeUnix));
  if (r.aes) parts.push(aesExtra(r.aes.vendorVersion, r.aes.strength, r.aes.actualMethod));
  const extra = Buffer.concat(parts);
  const zip64 = bigU || bigC || bigO;
  const h = Buffer.alloc(46);
  h.writeUInt32LE(SIG_CENTRAL, 0);
  h.writeUInt16LE((3 << 8) | 63, 4); // made by: UNIX, spec 6.3 (so the mode is honoured)
  h.writeUInt16LE(Math.max(r.versionNeeded, zip64 ? 45 : 0), 6);
  h.writeUInt16LE(r.flags, 8);
  h.writeUInt16LE(r.method, 10);
  h.writeUInt16LE(r.dosTime, 12);
  h.writeUInt16LE(r.dosDate, 14);
  h.writeUInt32LE(r.crc32, 16);
  h.writeUInt32LE(bigC ? MAX32 : r.compressedSize, 20);
  h.writeUInt32LE(bigU ? MAX32 : r.uncompressedSize, 24);
  h.writeUInt16LE(r.nameBytes.length, 28);
  h.writeUInt16LE(extra.length, 30);
  h.writeUInt16LE(0, 32); // comment length
  h.writeUInt16LE(0, 34); // disk
  h.writeUInt16LE(0, 36); // internal attributes
  h.writeUInt32LE(((r.mode & 0xffff) << 16) >>> 0, 38);
  h.writeUInt32LE(bigO ? MAX32 : r.offset, 42);
  return Buffer.concat([h, r.nameBytes, extra]);
}

/**
 * The central directory as it is written: every entry's header appended to 1 MiB blocks as the
 * entry is finished. 70,000 entries kept as records each held a small Buffer of their name, and
 * each such Buffer kept its 8 KiB allocation pool alive (100 MB at 70,000 entries).
 */
export class CentralDirectory {
  private static readonly BLOCK = 1024 * 1024;
  private readonly blocks: Buffer[] = [];
  /** Bytes used in each block. */
  private readonly filled: number[] = [];
  count = 0;
  bytes = 0;

  add(header: Buffer): void {
    const last = this.blocks.length - 1;
    if (last < 0 || this.filled[last] + header.length > this.blocks[last].length) {
      // Never a pooled Buffer: a block is kept until the archive is finished.
      this.blocks.push(Buffer.allocUnsafeSlow(Math.max(CentralDirectory.BLOCK, header.length)));
      this.filled.push(0);
    }
    const i = this.blocks.length - 1;
    header.copy(this.blocks[i], this.filled[i]);
    this.filled[i] += header.length;
    this.count++;
    this.bytes += header.length;
  }

  /** The directory's bytes, block by block, in the order the entries were added. */
  *pieces(): Generator<Buffer> {
    for (let i = 0; i < this.blocks.length; i++) yield this.blocks[i].subarray(0, this.filled[i]);
  }
}

/** ZIP64 end record + locator (when needed) and the classic end of central directory record. */
export function endOfCentralDirectory(entryCount: number, cdOffset: number, cdSize: number, forceZip64: boolean): Buffer {
  const zip64 = forceZip64 || entryCount >= MAX16 || cdOffset >= MAX32 || cdSize >= MAX32;
  const parts: Buffer[] = [];
  if (zip64) {
    const rec = Buffer.alloc(56);
    rec.writeUInt32LE(SIG_ZIP64_EOCD, 0);
    writeUInt64LE(rec, 44, 4);
    rec.writeUInt16LE((3 << 8) | 63, 12);
    rec.writeUInt16LE(45, 14);
    writeUInt64LE(rec, entryCount, 24);
    writeUInt64LE(rec, entryCount, 32);
    writeUInt64LE(rec, cdSize, 40);
    writeUInt64LE(rec, cdOffset, 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(SIG_ZIP64_LOCATOR, 0);
    writeUInt64LE(loc, cdOffset + cdSize, 8);
    loc.writeUInt32LE(1, 16);
    parts.push(rec, loc);
  }
  const e = Buffer.alloc(22);
  e.writeUInt32LE(SIG_EOCD, 0);
  e.writeUInt16LE(zip64 ? MAX16 : entryCount, 8);
  e.writeUInt16LE(zip64 ? MAX16 : entryCount, 10);
  e.writeUInt32LE(zip64 ? MAX32 : cdSize, 12);
  e.writeUInt32LE(zip64 ? MAX32 : cdOffset, 16);
  parts.push(e);
  return Buffer.concat(parts);
}
