/**
 * An entry worker thread (see entry-worker.pool.ts): encodes whole entries for the archive
 * writer, decodes and checks small entries for the reader, and hands results back without a
 * copy. The archive password comes in workerData (memory of the same process), never in a
 * message, a log or an error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CorruptArchiveError } from './archive.errors';
import type { DecodeJob, EncodeFileJob, EncodeJob, WorkerReply } from './entry-worker.pool';
import { aesHeader, decodeStored } from './small-entry';
import { readSmallFileSync, SmallFileFacts, SmallFileSource, UnreadableSourceError, WHOLE_FILE_BYTES } from './small-file.source';
import { writeExtractedSync } from './extract-target';
import { useSimdModule } from './pbkdf2-sha1';
import { encodeWholeEntry } from './whole-entry';
import { deriveKeysSync, WinZipAesKeys } from './winzip-aes';

const port = parentPort;
const { password, simdModule } = workerData as { password?: string; simdModule?: object };
useSimdModule(simdModule);

function view(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The plaintext in a block that can be moved to the main thread. Node's small Buffers share an
 * 8 KiB pool, which must never be moved away, and a stored entry's plaintext may be a view of
 * the reader's shared span: those are copied.
 */
function ownBlock(data: Buffer): Uint8Array {
  const own = !(data.buffer instanceof SharedArrayBuffer) && data.buffer.byteLength !== Buffer.poolSize && data.byteLength >= 4096;
  if (own) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const copy = new Uint8Array(data.byteLength);
  copy.set(data);
  return copy;
}

function encode(id: number, data: Buffer, level: number, kind: EncodeJob['kind'], file?: SmallFileFacts): [WorkerReply, ArrayBuffer[]] {
  const { body, ...facts } = encodeWholeEntry(data, { level, kind, password });
  // A block of its own (whole-entry.ts).
  return [{ id, ...facts, file, body: new Uint8Array(body.buffer, body.byteOffset, body.length) }, [body.buffer as ArrayBuffer]];
}

/** Small files are read into this one buffer (encoding copies what it keeps): no block per file. */
let readBuffer: Buffer | undefined;

function encodeFile(job: EncodeFileJob): [WorkerReply, ArrayBuffer[]] {
  readBuffer ??= Buffer.allocUnsafeSlow(WHOLE_FILE_BYTES + 1);
  let content;
  try {
    content = readSmallFileSync(new SmallFileSource(job.path, job.followSymlinks), readBuffer);
  } catch (err) {
    if (err instanceof UnreadableSourceError) return [{ id: job.id, unreadable: err.reason }, []];
    throw err;
  }
  if (content === 'large') return [{ id: job.id, large: true }, []];
  return encode(job.id, content.data, job.level, job.kind, content.facts);
}

function decode(job: DecodeJob): [WorkerReply, ArrayBuffer[]] {
  const stored = view(job.stored);
  const entry = { ...job.entry, rawName: Buffer.alloc(0), localOffset: 0, compressedSize: stored.length, centralMethod: 0 };
  let keys: WinZipAesKeys | undefined;
  if (job.entry.encrypted) {
    const { salt, verifier } = aesHeader(entry, stored);
    keys = deriveKeysSync(password ?? '', salt, entry.aesStrength ?? 0);
    if (!keys.verifier.equals(verifier)) return [{ id: job.id, verifierMismatch: true }, []];
  }
  try {
    const data = decodeStored(entry, stored, keys, job.sha256);
    if (job.writeTo) {
      try {
        writeExtractedSync(job.writeTo, data);
      } catch (err) {
        return [{ id: job.id, error: `cannot write ${job.writeTo.path}: ${err instanceof Error ? err.message : String(err)}` }, []];
      }
    }
    if (!job.wantData || job.writeTo) return [{ id: job.id, size: data.length }, []];
    const out = ownBlock(data);
    return [{ id: job.id, size: data.length, data: out }, [out.buffer as ArrayBuffer]];
  } catch (err) {
    if (err instanceof CorruptArchiveError) return [{ id: job.id, problem: err.problem }, []];
    throw err;
  }
}

port?.on('message', (job: EncodeJob | EncodeFileJob | DecodeJob) => {
  let reply: [WorkerReply, ArrayBuffer[]];
  try {
    if (job.type === 'encode') reply = encode(job.id, view(job.data), job.level, job.kind);
    else if (job.type === 'encode-file') reply = encodeFile(job);
    else reply = decode(job);
  } catch (err) {
    reply = [{ id: job.id, error: err instanceof Error ? err.message : String(err) }, []];
  }
  port.postMessage(reply[0], reply[1]);
});
port?.postMessage({ ready: true });
