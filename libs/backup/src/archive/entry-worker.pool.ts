import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { BackupError } from '../common/backup.error';
import { ExtractTarget } from './extract-target';
import { EntryKind } from './manifest';
import { simdModule } from './pbkdf2-sha1';
import { SmallFileFacts, SmallFileSource, UnreadableSourceError } from './small-file.source';
import { EncodedEntry } from './whole-entry';

export interface EncodeJob {
  type: 'encode';
  id: number;
  data: Uint8Array;
  level: number;
  kind: EntryKind;
}

/** A small file to read and encode in one job (SmallFileSource). */
export interface EncodeFileJob {
  type: 'encode-file';
  id: number;
  path: string;
  followSymlinks: boolean;
  level: number;
  kind: EntryKind;
}

/** What decodeStored (small-entry.ts) needs of an entry, as plain data. */
export interface DecodeFacts {
  name: string;
  size: number;
  method: number;
  crc?: number;
  aesStrength?: number;
  encrypted: boolean;
}

export interface DecodeJob {
  type: 'decode';
  id: number;
  /**
   * The entry's stored bytes (for AES: salt, verifier, ciphertext, MAC): a copy moved to the
   * worker, or a view of the reader's shared span (no copy; decrypted there in place).
   */
  stored: Uint8Array;
  entry: DecodeFacts;
  sha256?: string;
  /** Send the plaintext back (a restore), or only its size (a verify). */
  wantData: boolean;
  /** Write the checked plaintext here instead of sending it back (a files restore). */
  writeTo?: ExtractTarget;
}

/**
 * A decoded entry: its size and (when asked for) its plaintext; or the problem that makes it
 * corrupt (CorruptArchiveError's `problem`); or a password verifier that does not match, which
 * the caller looks into itself (a wrong password, or a damaged salt).
 */
export type DecodeOutcome = { size: number; data?: Buffer } | { problem: string } | { verifierMismatch: true };

export type WorkerReply =
  | ({ id: number; body: Uint8Array; file?: SmallFileFacts } & Omit<EncodedEntry, 'body'>)
  | { id: number; size: number; data?: Uint8Array }
  | { id: number; problem: string }
  | { id: number; verifierMismatch: true }
  | { id: number; large: true }
  | { id: number; unreadable: string }
  | { id: number; error: string };

interface Pending {
  resolve: (reply: WorkerReply) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  failed?: Error;
  pending: Map<number, Pending>;
  /** Settles when the worker is ready (resolves) or stopped before it was (rejects). */
  started: Promise<void>;
}

/** The compiled worker beside this file; absent when running from TypeScript sources or a bundle. */
const WORKER_SCRIPT = path.join(__dirname, 'entry.worker.js');

/**
 * Entries queued on each worker before the writer's thread encodes the next one itself. Measured
 * on 2 cores (one worker): 20,000 small files backed up in 10.6–11.0 s against 15.1–15.6 s with
 * every entry sent to the worker (about 30% then stayed on the main thread), the mixed tree in
 * 1.41 s against 1.56 s (medians of 6). The reader does not do this: its 16 entries in flight
 * keep the main thread decoding inline once it starts (worker replies wait behind it), and a
 * verify on 2 workers was no faster for it.
 */
const ENCODE_QUEUE_LIMIT = 8;

/**
 * Each worker's young generation (V8's nursery), in MB. A worker makes a few Buffers per entry
 * (the plaintext, the deflated or inflated bytes) whose memory is returned only when the
 * nursery is collected; with Node's default 16 MB nursery, tens of MB of dead Buffers piled up in
 * each worker's malloc arena between collections and stayed there as RSS. A host's own
 * `--max-semi-space-size` takes precedence over this (V8 gives the flag priority).
 */
const WORKER_YOUNG_GENERATION_MB = 2;

/**
 * Worker threads for the per-entry work of small entries, done whole: encoding (hash, deflate,
 * key derivation, AES, HMAC: whole-entry.ts) for the writer, decoding and checking
 * (small-entry.ts) for the reader. With thousands of small files, that work on the main thread
 * was what bounded a backup, verify or restore while the other cores idled; here the main thread
 * only reads and writes. Workers start on the first job; until one is ready (and wherever the
 * compiled worker script is missing), `encode` / `decode` return undefined and the caller does
 * the work inline. The input is copied once and the copy moved to the worker (the caller's
 * buffer stays intact); results come back without a copy. Workers hold the process open only
 * while they have work. The archive password is given to them in workerData, never in a message.
 */
export class EntryWorkerPool {
  private slots: Slot[] | undefined;
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly password: string | undefined,
    private readonly size = defaultEntryThreads(),
    private readonly script = WORKER_SCRIPT,
  ) {}

  /**
   * Starts the workers and resolves once one can take jobs (or none could start: the caller's
   * jobs then run inline). For a reader about to hand over many entries: waiting the few tens of
   * milliseconds a worker takes to start beats doing its first entries on the main thread.
   */
  async whenReady(): Promise<void> {
    if (this.closed || this.size < 1) return;
    this.slots ??= Array.from({ length: this.size }, () => this.spawn());
    await Promise.any(this.slots.map((s) => s.started)).catch(() => undefined);
  }

  /** Whether a worker can take a job now (once the first job has started them). */
  get ready(): boolean {
    return !this.closed && !!this.slots?.some((s) => s.ready && !s.failed);
  }

  /** Whether workers can run here at all (the compiled worker script exists). */
  static available(script = WORKER_SCRIPT): boolean {
    return existsSync(script);
  }

  /**
   * Encodes `data` on a worker; undefined when none is ready, or when every worker already has
   * ENCODE_QUEUE_LIMIT entries waiting: the caller encodes that one itself then, so the calling
   * thread works beside a worker that is the slower side instead of idling. With `handOver`,
   * a Buffer with a memory block of its own is moved to the worker as it is (and left empty):
   * a copy per file was as much garbage again on this thread, kept as RSS until a collection.
   */
  encode(data: Buffer, level: number, kind: EntryKind, handOver = false): Promise<EncodedEntry> | undefined {
    if (this.encodersFull()) return undefined;
    const copy = handOver && ownsBlock(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : movable(data);
    return this.send({ type: 'encode', id: 0, data: copy, level, kind }, copy, encodedEntry);
  }

  /**
   * Reads a small file and encodes it on a worker in one job (no thread-pool round trip on this
   * thread); undefined, as for `encode`, when no worker can take it. The entry comes back with
   * the file's facts (fstat); 'large': the file holds more than WHOLE_FILE_BYTES (the caller
   * streams it); UnreadableSourceError: it cannot be opened, or is not a regular file.
   */
  encodeFile(
    file: SmallFileSource,
    level: number,
    kind: EntryKind,
  ): Promise<{ encoded: EncodedEntry; facts: SmallFileFacts } | 'large'> | undefined {
    if (this.encodersFull()) return undefined;
    return this.send(
      { type: 'encode-file', id: 0, path: file.path, followSymlinks: file.followSymlinks, level, kind },
      undefined,
      (reply) => {
        if ('large' in reply) return 'large';
        if ('unreadable' in reply) throw new UnreadableSourceError(file.path, reply.unreadable);
        if (!('file' in reply) || !reply.file) throw new Error('unexpected reply');
        return { encoded: encodedEntry(reply), facts: reply.file };
      },
    );
  }

  /** Every started worker is not ready, stopped, or has ENCODE_QUEUE_LIMIT entries waiting. */
  private encodersFull(): boolean {
    return !!this.slots?.every((s) => !s.ready || s.failed || s.pending.size >= ENCODE_QUEUE_LIMIT);
  }

  /**
   * Decodes and checks an entry's stored bytes on a worker; undefined when none is ready.
   * Bytes in a SharedArrayBuffer (the reader's batch spans) are shared, not copied, and are
   * decrypted in place: the caller must not reuse that range before the result is in.
   */
  decode(
    stored: Buffer,
    entry: DecodeFacts,
    sha256: string | undefined,
    wantData: boolean,
    writeTo?: ExtractTarget,
  ): Promise<DecodeOutcome> | undefined {
    const shared = stored.buffer instanceof SharedArrayBuffer;
    const bytes = shared ? new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength) : movable(stored);
    return this.send({ type: 'decode', id: 0, stored: bytes, entry, sha256, wantData, writeTo }, shared ? undefined : bytes, (reply) => {
      if ('problem' in reply) return { problem: reply.problem };
      if ('verifierMismatch' in reply) return { verifierMismatch: true };
      if (!('size' in reply) || 'body' in reply) throw new Error('unexpected reply');
      return { size: reply.size, data: reply.data && Buffer.from(reply.data.buffer, reply.data.byteOffset, reply.data.byteLength) };
    });
  }

  /** Stops the workers; jobs still running fail. */
  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots ?? [];
    this.slots = [];
    for (const s of slots) this.failSlot(s, new BackupError('The archive was closed while an entry was being worked on'));
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private send<T>(
    job: EncodeJob | EncodeFileJob | DecodeJob,
    moved: Uint8Array | undefined,
    take: (reply: WorkerReply) => T,
  ): Promise<T> | undefined {
    if (this.closed || this.size < 1) return undefined;
    this.slots ??= Array.from({ length: this.size }, () => this.spawn());
    let slot: Slot | undefined;
    for (const s of this.slots) if (s.ready && !s.failed && (!slot || s.pending.size < slot.pending.size)) slot = s;
    if (!slot) return undefined;
    const chosen = slot;
    job.id = this.nextId++;
    return new Promise<WorkerReply>((resolve, reject) => {
      if (chosen.pending.size === 0) chosen.worker.ref();
      chosen.pending.set(job.id, { resolve, reject });
      chosen.worker.postMessage(job, moved ? [moved.buffer as ArrayBuffer] : []);
    }).then(take);
  }

  private spawn(): Slot {
    // The key derivation's WebAssembly, compiled once here rather than generated again per worker.
    const workerData = { password: this.password, simdModule: simdModule() ?? undefined };
    const worker = new Worker(this.script, { workerData, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    let started!: { resolve: () => void; reject: (e: Error) => void };
    const slot: Slot = {
      worker,
      ready: false,
      pending: new Map(),
      started: new Promise<void>((resolve, reject) => (started = { resolve, reject })),
    };
    slot.started.catch(() => undefined);
    worker.unref();
    worker.on('message', (reply: WorkerReply | { ready: true }) => {
      if ('ready' in reply) {
        slot.ready = true;
        started.resolve();
        return;
      }
      const job = slot.pending.get(reply.id);
      if (!job) return;
      slot.pending.delete(reply.id);
      if (slot.pending.size === 0) worker.unref();
      if ('error' in reply) return job.reject(new BackupError(`An archive entry could not be worked on: ${reply.error}`));
      job.resolve(reply);
    });
    const stop = (err: Error) => {
      started.reject(err);
      this.failSlot(slot, err);
    };
    worker.on('error', stop);
    worker.on('exit', (code) => stop(new Error(`it exited with code ${code}`)));
    return slot;
  }

  private failSlot(slot: Slot, cause: Error): void {
    slot.failed ??= cause;
    if (slot.pending.size === 0) return;
    const err =
      cause instanceof BackupError
        ? cause
        : new BackupError(
            `The archive's entry worker (a worker thread) stopped: ${cause.message}`,
            'The run was not completed: a backup stored nothing under its name, a restore changed nothing. Run it again; if it recurs, look for memory limits on the process (worker threads share its heap limit), or set BACKUP_ARCHIVE_THREADS=0.',
          );
    for (const job of slot.pending.values()) job.reject(err);
    slot.pending.clear();
    slot.worker.unref();
  }
}

/** An encode reply as the EncodedEntry it carries (the body's block taken over, no copy). */
function encodedEntry(reply: WorkerReply): EncodedEntry {
  if (!('body' in reply)) throw new Error('unexpected reply');
  const { body, id: _id, file: _file, ...facts } = reply;
  return { ...facts, body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
}

/**
 * Whether a Buffer's memory block is its own to move: not shared, and not one of Node's 8 KiB
 * pools that small Buffers are cut from (moving one would empty every Buffer cut from it).
 */
function ownsBlock(data: Buffer): boolean {
  return (
    !(data.buffer instanceof SharedArrayBuffer) && data.buffer.byteLength !== Buffer.poolSize && data.byteLength > Buffer.poolSize >>> 1
  );
}

/** A copy of just these bytes in a memory block of its own, which can be moved to a worker. */
function movable(data: Buffer): Uint8Array {
  const copy = new Uint8Array(data.byteLength);
  copy.set(data);
  return copy;
}

/**
 * Worker threads by default. Writing, one fewer than the cores (at least 1, at most 4): the main
 * thread has a core's worth of its own (reading files, writing the archive, collecting garbage);
 * on 2 cores, a second worker made a backup of 20,000 small files slower, not faster. Reading
 * (verify, restore), one per core (at most 4): the main thread mostly waits there, and a verify
 * of the same archive took 7.5 s with 2 workers against 11.2 s with 1.
 */
export function defaultEntryThreads(use: 'write' | 'read' = 'write'): number {
  const cores = availableParallelism();
  return Math.max(1, Math.min(4, use === 'write' ? cores - 1 : cores));
}
