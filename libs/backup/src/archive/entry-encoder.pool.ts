import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { BackupError } from '../common/backup.error';
import { EntryKind } from './manifest';
import { EncodedEntry } from './whole-entry';

export interface EncoderJob {
  id: number;
  data: Uint8Array;
  level: number;
  kind: EntryKind;
}

export type EncoderReply =
  | ({ id: number; error?: undefined; body: Uint8Array } & Omit<EncodedEntry, 'body'>)
  | { id: number; error: string };

interface Slot {
  worker: Worker;
  ready: boolean;
  failed?: Error;
  pending: Map<number, { resolve: (e: EncodedEntry) => void; reject: (e: Error) => void }>;
}

/** The compiled worker beside this file; absent when running from TypeScript sources or a bundle. */
const WORKER_SCRIPT = path.join(__dirname, 'entry-encoder.worker.js');

/**
 * Worker threads that encode small entries whole (hash, deflate, key derivation, AES, HMAC:
 * whole-entry.ts). With thousands of small files, that per-entry work on the main thread was
 * what bounded a backup while the other cores idled; here the main thread only reads files and
 * writes the archive. Workers start on the first job; until one is ready (and wherever the
 * compiled worker script is missing), `encode` returns undefined and the caller encodes inline.
 * The data is copied once and the copy moved to the worker (the caller's buffer stays intact);
 * the result, and the memory the worker used, come back without a copy. Workers hold the process open only while they have work.
 */
export class EntryEncoderPool {
  private slots: Slot[] | undefined;
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly password: string | undefined,
    private readonly size = defaultEncoderThreads(),
    private readonly script = WORKER_SCRIPT,
  ) {}

  /** Whether workers can run here at all (the compiled worker script exists). */
  static available(script = WORKER_SCRIPT): boolean {
    return existsSync(script);
  }

  /** Encodes `data` on a worker; undefined when none is ready (encode inline then). */
  encode(data: Buffer, level: number, kind: EntryKind): Promise<EncodedEntry> | undefined {
    if (this.closed || this.size < 1) return undefined;
    this.slots ??= Array.from({ length: this.size }, () => this.spawn());
    let slot: Slot | undefined;
    for (const s of this.slots) if (s.ready && !s.failed && (!slot || s.pending.size < slot.pending.size)) slot = s;
    if (!slot) return undefined;
    const id = this.nextId++;
    const chosen = slot;
    return new Promise<EncodedEntry>((resolve, reject) => {
      if (chosen.pending.size === 0) chosen.worker.ref();
      chosen.pending.set(id, { resolve, reject });
      // A copy of just the entry's bytes, moved (a clone would copy the whole block under a view).
      const copy = new Uint8Array(data.byteLength);
      copy.set(data);
      const job: EncoderJob = { id, data: copy, level, kind };
      chosen.worker.postMessage(job, [copy.buffer]);
    });
  }

  /** Stops the workers; jobs still running fail. */
  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots ?? [];
    this.slots = [];
    for (const s of slots) this.failSlot(s, new BackupError('The archive was closed while an entry was being encoded'));
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private spawn(): Slot {
    const worker = new Worker(this.script, { workerData: { password: this.password } });
    const slot: Slot = { worker, ready: false, pending: new Map() };
    worker.unref();
    worker.on('message', (reply: EncoderReply | { ready: true }) => {
      if ('ready' in reply) {
        slot.ready = true;
        return;
      }
      const job = slot.pending.get(reply.id);
      if (!job) return;
      slot.pending.delete(reply.id);
      if (slot.pending.size === 0) worker.unref();
      if (reply.error !== undefined) return job.reject(new BackupError(`Encoding an archive entry failed: ${reply.error}`));
      const { body, id: _id, error: _error, ...facts } = reply;
      job.resolve({ ...facts, body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) });
    });
    worker.on('error', (err) => this.failSlot(slot, err));
    worker.on('exit', (code) => this.failSlot(slot, new Error(`it exited with code ${code}`)));
    return slot;
  }

  private failSlot(slot: Slot, cause: Error): void {
    slot.failed ??= cause;
    if (slot.pending.size === 0) return;
    const err =
      cause instanceof BackupError
        ? cause
        : new BackupError(
            `The archive's entry encoder (a worker thread) stopped: ${cause.message}`,
            'The backup was not completed and nothing was stored under its name; run it again. If it recurs, look for memory limits on the process (worker threads share its heap limit).',
          );
    for (const job of slot.pending.values()) job.reject(err);
    slot.pending.clear();
    slot.worker.unref();
  }
}

/**
 * One fewer than the cores (at least 1, at most 4): the main thread has a core's worth of its own
 * (reading files, writing the archive, collecting garbage). On 2 cores, a second worker made a
 * backup of 20,000 small files slower, not faster, and cost 30 MB more.
 */
export function defaultEncoderThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}
