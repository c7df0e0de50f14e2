import { createHash } from 'node:crypto';
import { crc32, inflateRawSync } from 'node:zlib';
import { CorruptArchiveError } from './archive.errors';
import { AES_MAC_LENGTH, AES_VERIFIER_LENGTH, saltLength, WinZipAesDecryptor, WinZipAesKeys } from './winzip-aes';
import { METHOD_DEFLATE } from './zip-format';

/**
 * Small entries are read a run of neighbours at a time (one range read) and checked in memory:
 * 70,000 uploads of a few KiB cost 70,000 stream pipelines otherwise, and the pipelines, not
 * the bytes, were where verify and restore spent their time. The checks are those of
 * ZipReader.openEntry, with the same messages.
 */

/** Entries at most this large (compressed) go through the in-memory path. */
export const SMALL_ENTRY_BYTES = 1024 * 1024;
/**
 * One range read covers neighbours up to this span, unless the source asks for another
 * (RandomAccessSource.batchBytes): a request to a remote store costs a round trip.
 */
export const BATCH_SPAN_BYTES = 8 * 1024 * 1024;
/** Entries further apart than this are not read together (the bytes between are not wanted). */
const MAX_GAP_BYTES = 16 * 1024;
/** Local header: 30 fixed bytes, then name and extra field (each at most 65,535 bytes). */
const LOCAL_HEADER_BYTES = 30;
const LOCAL_HEADER_SIGNATURE = 0x04034b50;

export interface SmallEntry {
  name: string;
  /** The name's bytes as the central directory has them. */
  rawName: Buffer;
  /** rawName.length, when known without making rawName. */
  nameLength?: number;
  localOffset: number;
  compressedSize: number;
  size: number;
  /** The method in the central directory (99 for AES) and the real one after it. */
  centralMethod: number;
  method: number;
  /** CRC-32 to check, or undefined when the entry does not carry one (AE-2). */
  crc?: number;
  aesStrength?: number;
}

/** A range of the archive held in memory. */
export interface Span {
  start: number;
  data: Buffer;
}

/** Entries cut into runs of neighbours whose bytes fit one range read each. */
export function planBatches<T extends SmallEntry>(
  entries: T[],
  archiveSize: number,
  spanBytes = BATCH_SPAN_BYTES,
): Array<{ entries: T[]; start: number; end: number }> {
  const sorted = [...entries].sort((a, b) => a.localOffset - b.localOffset);
  const batches: Array<{ entries: T[]; start: number; end: number }> = [];
  for (const entry of sorted) {
    // An estimate: the local extra field may differ from the central one; a short span falls back to streaming.
    const end = Math.min(
      archiveSize,
      entry.localOffset + LOCAL_HEADER_BYTES + (entry.nameLength ?? entry.rawName.length) + 256 + entry.compressedSize,
    );
    const last = batches[batches.length - 1];
    if (last && end - last.start <= spanBytes && entry.localOffset >= last.start && entry.localOffset - last.end <= MAX_GAP_BYTES) {
      last.entries.push(entry);
      last.end = Math.max(last.end, end);
    } else {
      batches.push({ entries: [entry], start: entry.localOffset, end });
    }
  }
  return batches;
}

/**
 * The entry's stored bytes out of a span, after checking its local header against the central
 * directory; undefined when the span does not hold all of them (the caller streams the entry).
 */
export function storedBytes(entry: SmallEntry, span: Span): Buffer | undefined {
  const at = entry.localOffset - span.start;
  if (at < 0 || at + LOCAL_HEADER_BYTES > span.data.length) return undefined;
  const header = span.data;
  if (header.readUInt32LE(at) !== LOCAL_HEADER_SIGNATURE) {
    throw new CorruptArchiveError(
      entry.name,
      `the local header is damaged (invalid local file header signature: 0x${header.readUInt32LE(at).toString(16)})`,
    );
  }
  const nameLength = header.readUInt16LE(at + 26);
  const extraLength = header.readUInt16LE(at + 28);
  const dataStart = at + LOCAL_HEADER_BYTES + nameLength + extraLength;
  if (dataStart + entry.compressedSize > span.data.length) return undefined;
  if (!header.subarray(at + LOCAL_HEADER_BYTES, at + LOCAL_HEADER_BYTES + nameLength).equals(entry.rawName)) {
    throw new CorruptArchiveError(entry.name, 'the local header names another file than the central directory');
  }
  if (header.readUInt16LE(at + 8) !== entry.centralMethod) {
    throw new CorruptArchiveError(entry.name, 'the local header gives another compression method than the central directory');
  }
  return span.data.subarray(dataStart, dataStart + entry.compressedSize);
}

/** The AES salt and password verifier at the start of an encrypted entry's bytes. */
export function aesHeader(entry: SmallEntry, stored: Buffer): { salt: Buffer; verifier: Buffer } {
  const saltLen = saltLength(entry.aesStrength ?? 0);
  return { salt: stored.subarray(0, saltLen), verifier: stored.subarray(saltLen, saltLen + AES_VERIFIER_LENGTH) };
}

/**
 * Decrypts (with keys whose verifier the caller has matched), inflates and checks an entry held
 * in memory: HMAC, size, CRC-32 and the manifest's SHA-256.
 */
export function decodeStored(entry: SmallEntry, stored: Buffer, keys: WinZipAesKeys | undefined, sha256: string | undefined): Buffer {
  let compressed = stored;
  if (keys) {
    const headerLen = saltLength(entry.aesStrength ?? 0) + AES_VERIFIER_LENGTH;
    const decryptor = new WinZipAesDecryptor(keys);
    compressed = decryptor.decrypt(stored.subarray(headerLen, stored.length - AES_MAC_LENGTH));
    if (!decryptor.macMatches(stored.subarray(stored.length - AES_MAC_LENGTH))) {
      throw new CorruptArchiveError(entry.name, 'the authentication code (HMAC) does not match');
    }
  }
  let plain = compressed;
  if (entry.method === METHOD_DEFLATE) {
    try {
      // One byte over the recorded size is enough to tell "more data" from "exactly right"; an
      // output chunk of that size is one allocation (zlib's 16 KiB chunks would be joined in a
      // copy: twice the garbage per entry, which a worker's arena kept as RSS).
      plain = inflateRawSync(compressed, {
        maxOutputLength: entry.size + 1,
        chunkSize: Math.max(64, Math.min(entry.size + 1, SMALL_ENTRY_BYTES + 1)),
      });
    } catch (err) {
      if (err.code === 'ERR_BUFFER_TOO_LARGE') throw new CorruptArchiveError(entry.name, `more data than the recorded size ${entry.size}`);
      throw new CorruptArchiveError(entry.name, err.message);
    }
  }
  if (plain.length > entry.size) throw new CorruptArchiveError(entry.name, `more data than the recorded size ${entry.size}`);
  if (plain.length !== entry.size) throw new CorruptArchiveError(entry.name, `size ${plain.length} != recorded size ${entry.size}`);
  if (entry.crc !== undefined && crc32(plain) >>> 0 !== entry.crc >>> 0) throw new CorruptArchiveError(entry.name, 'CRC-32 mismatch');
  if (sha256 && createHash('sha256').update(plain).digest('hex') !== sha256) {
    throw new CorruptArchiveError(entry.name, 'SHA-256 does not match manifest.json');
  }
  return plain;
}
