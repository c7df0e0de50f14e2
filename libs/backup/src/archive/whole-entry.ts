import { createHash, randomBytes } from 'node:crypto';
import { crc32, deflateRawSync } from 'node:zlib';
import { EntryKind } from './manifest';
import { AES256_STRENGTH, AES_MAC_LENGTH, AES_VERIFIER_LENGTH, deriveKeysSync, saltLength, WinZipAesEncryptor } from './winzip-aes';
import { METHOD_DEFLATE, METHOD_STORED } from './zip-format';

/** Deflate must save at least this share of a file, or the file is stored. */
export const MIN_SAVING = 0.03;
/** Bytes of a streamed file looked at (deflated at level 1) to decide between deflate and stored. */
export const SAMPLE_BYTES = 64 * 1024;
/**
 * The same look for a file held whole: its first 16 KiB at level 1 (random data deflates at
 * level 1 two to three times faster than at 6, and 16 KiB tell as well as 64).
 */
const WHOLE_SAMPLE_BYTES = 16 * 1024;

export interface WholeEntryOptions {
  level: number;
  /** With a password: WinZip AES-256 with a fresh salt. */
  password?: string;
  kind: EntryKind;
}

/** An entry's data as it goes into the archive, and the facts its descriptor and the manifest need. */
export interface EncodedEntry {
  /** Everything between the local header and the data descriptor (for AES: salt, verifier, ciphertext, MAC). */
  body: Buffer;
  method: number;
  size: number;
  crc32: number;
  sha256: string;
}

/**
 * Hashes, compresses and encrypts one entry held whole in memory, on the calling thread: the
 * work of a small file, done once. A file that deflate shrinks by less than MIN_SAVING is stored
 * (every other kind of entry is deflated whatever it saves); a file's first 16 KiB at level 1
 * are looked at first, so an image or an archive is not deflated whole for nothing.
 * It runs on the entry encoder's worker threads (entry-worker.pool.ts), or inline without them.
 */
export function encodeWholeEntry(data: Buffer, options: WholeEntryOptions): EncodedEntry {
  const { level, password, kind } = options;
  // One output chunk big enough for all of it: zlib's 16 KiB chunks would be joined in a copy.
  const deflate = (input: Buffer, at: number): Buffer =>
    deflateRawSync(input, { level: at, chunkSize: Math.max(16 * 1024, input.length + 1024) });
  const sample = Math.min(data.length, WHOLE_SAMPLE_BYTES);
  const skip = kind === 'file' && level > 0 && sample >= 1024 && deflate(data.subarray(0, sample), 1).length > sample * (1 - MIN_SAVING);
  const deflated = level > 0 && data.length > 0 && !skip ? deflate(data, level) : undefined;
  const stored = deflated === undefined || (kind === 'file' && deflated.length > data.length * (1 - MIN_SAVING));
  const payload = stored ? data : (deflated as Buffer);
  const facts = {
    method: stored ? METHOD_STORED : METHOD_DEFLATE,
    size: data.length,
    crc32: crc32(data),
    sha256: createHash('sha256').update(data).digest('hex'),
  };
  // The body is one memory block of its own (so a worker can hand it over without a copy); with
  // AES it starts 2 bytes in, so the ciphertext after salt and verifier is word-aligned (the XOR
  // goes by words).
  if (password === undefined) {
    const body = Buffer.allocUnsafeSlow(payload.length);
    payload.copy(body);
    return { ...facts, body };
  }
  const salt = randomBytes(saltLength(AES256_STRENGTH));
  const keys = deriveKeysSync(password, salt, AES256_STRENGTH);
  const head = salt.length + AES_VERIFIER_LENGTH;
  const body = Buffer.allocUnsafeSlow(2 + head + payload.length + AES_MAC_LENGTH).subarray(2);
  salt.copy(body, 0);
  keys.verifier.copy(body, salt.length);
  payload.copy(body, head);
  const encryptor = new WinZipAesEncryptor(keys);
  encryptor.encrypt(body.subarray(head, head + payload.length)); // in place
  encryptor.mac().copy(body, head + payload.length);
  return { ...facts, body };
}
