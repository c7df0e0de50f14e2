/**
 * An entry encoder's worker thread (see entry-encoder.pool.ts): encodes whole entries sent by the
 * archive writer and hands each result's memory back without a copy. The archive password comes
 * in workerData (memory of the same process), never in a message, a log or an error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EncoderJob, EncoderReply } from './entry-encoder.pool';
import { encodeWholeEntry } from './whole-entry';

const port = parentPort;
const password = (workerData as { password?: string }).password;

port?.on('message', (job: EncoderJob) => {
  let reply: EncoderReply;
  const transfer: ArrayBuffer[] = [];
  try {
    const data = Buffer.from(job.data.buffer, job.data.byteOffset, job.data.byteLength);
    const { body, ...facts } = encodeWholeEntry(data, { level: job.level, kind: job.kind, password });
    transfer.push(body.buffer as ArrayBuffer); // a block of its own (whole-entry.ts)
    reply = { id: job.id, ...facts, body: new Uint8Array(body.buffer, body.byteOffset, body.length) };
  } catch (err) {
    reply = { id: job.id, error: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply, transfer);
});
port?.postMessage({ ready: true });
