/**
 * Finds the byte classes of a (non-ZIP64) archive written by this library, to damage one on
 * purpose: each entry's local header, its WinZip AES data (salt, password verifier, ciphertext,
 * 10-byte HMAC), its central directory record and the end-of-central-directory record. Tests
 * only: the archive is read whole into memory.
 */

export interface ZipEntryLayout {
  name: string;
  /** Offset of the local header (signature PK\3\4). */
  localHeader: number;
  /** Offset of the entry's data (after the local header, name and extra field). */
  data: number;
  /** Bytes of data: salt (16) + password verifier (2) + ciphertext + HMAC (10) for AES. */
  compressedSize: number;
  /** Offset of the entry's central directory record (signature PK\1\2). */
  centralRecord: number;
  /** Offset of the record's file name. */
  centralName: number;
}

export interface ZipLayout {
  entries: ZipEntryLayout[];
  centralDirectory: number;
  endOfCentralDirectory: number;
}

const EOCD = 0x06054b50;
const CDH = 0x02014b50;
const LFH = 0x04034b50;

export function zipLayout(bytes: Buffer): ZipLayout {
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (bytes.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('no end of central directory record');
  const count = bytes.readUInt16LE(eocd + 10);
  const cdOffset = bytes.readUInt32LE(eocd + 16);
  if (cdOffset === 0xffffffff || count === 0xffff) throw new Error('ZIP64 archives are not handled here');
  const entries: ZipEntryLayout[] = [];
  let at = cdOffset;
  for (let n = 0; n < count; n++) {
    if (bytes.readUInt32LE(at) !== CDH) throw new Error(`no central directory record at ${at}`);
    const compressedSize = bytes.readUInt32LE(at + 20);
    const nameLen = bytes.readUInt16LE(at + 28);
    const extraLen = bytes.readUInt16LE(at + 30);
    const commentLen = bytes.readUInt16LE(at + 32);
    const localHeader = bytes.readUInt32LE(at + 42);
    const name = bytes.subarray(at + 46, at + 46 + nameLen).toString('utf8');
    if (bytes.readUInt32LE(localHeader) !== LFH) throw new Error(`no local header for ${name}`);
    const data = localHeader + 30 + bytes.readUInt16LE(localHeader + 26) + bytes.readUInt16LE(localHeader + 28);
    entries.push({ name, localHeader, data, compressedSize, centralRecord: at, centralName: at + 46 });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return { entries, centralDirectory: cdOffset, endOfCentralDirectory: eocd };
}

/** A copy of `bytes` with the byte at `offset` changed (XOR 0x01). */
export function flipByte(bytes: Buffer, offset: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[offset] ^= 0x01;
  return copy;
}
