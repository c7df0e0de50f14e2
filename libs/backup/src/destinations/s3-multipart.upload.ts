import { Writable } from 'node:stream';
import type { CreateMultipartUploadCommandOutput, HeadObjectCommandOutput, S3Client, UploadPartCommandOutput } from '@aws-sdk/client-s3';
import { UploadFailedError, UploadSizeMismatchError } from './destination.errors';
import { DestinationUpload, StoredObject } from './destination.interface';
import { S3ErrorContext, translateS3Error } from './s3-error.translator';
import { s3 } from './s3-sdk';
import { progressBody, StallPolicy, Watchdog, watchAnswer, withStallRetries } from './stall.watchdog';

export const MAX_PARTS = 10_000;
/** Parts at one size before the size doubles (see partSizeAt). */
const PARTS_PER_STEP = 2_000;
/** S3's largest part. */
const MAX_PART_BYTES = 5 * 1024 ** 3;

/**
 * Size of part `n` (1-based): the base size for the first 2,000 parts, then doubling every
 * 2,000 parts. Memory stays at (queue + 1) × base for archives up to 2,000 × base (9.8 GiB at
 * 5 MiB) and only grows beyond that, while 10,000 parts still reach 62,000 × base (302 GiB).
 */
export function partSizeAt(n: number, base: number): number {
  return Math.min(MAX_PART_BYTES, base * 2 ** Math.floor((n - 1) / PARTS_PER_STEP));
}

/** The largest archive 10,000 parts hold with this base part size. */
export function maxMultipartBytes(base: number): number {
  let total = 0;
  for (let n = 1; n <= MAX_PARTS; n += PARTS_PER_STEP) total += partSizeAt(n, base) * Math.min(PARTS_PER_STEP, MAX_PARTS - n + 1);
  return total;
}

export interface S3UploadParams {
  destination: string;
  key: string;
  objectKey: string;
  bucket: string;
  client: S3Client;
  /** Base part size in bytes (see partSizeAt). */
  partSize: number;
  /** Parts uploaded at once. */
  queueSize: number;
  /** A part that moves no byte for the stall time is aborted and tried again (see withStallRetries). */
  stall: StallPolicy;
  errorContext(action: string): S3ErrorContext;
}

/**
 * One streaming upload to S3. Bytes are copied into part buffers taken from a small pool
 * (queueSize + 1 of them, reused, so memory is fixed and nothing is copied twice); a full part
 * is sent while the next one fills, and the writer waits when every buffer is busy (back
 * pressure). An archive smaller than one part is sent with a single PutObject. After completion
 * the stored size is read back and compared; abort waits for requests in flight and removes
 * every trace, including a completed object (s3rver, for one, ignores AbortMultipartUpload).
 *
 * Written here instead of using @aws-sdk/lib-storage, which holds each part twice (chunks, then
 * their concatenation, kept alive by the remainder's subarray) and cannot grow its part size.
 */
export class S3MultipartUpload implements DestinationUpload {
  readonly destination: string;
  readonly key: string;
  readonly stream: Writable;
  private readonly finished: Promise<void>;
  private resolveFinished!: () => void;
  private rejectFinished!: (err: Error) => void;
  private readonly pool: Buffer[] = [];
  private allocated = 0;
  private poolPartSize = 0;
  private current: Buffer | undefined;
  private filled = 0;
  private partNumber = 0;
  private readonly parts: Array<{ PartNumber: number; ETag?: string }> = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly requests = new Set<Promise<unknown>>();
  private readonly abortRequests = new AbortController();
  private uploadId: Promise<string> | undefined;
  private createdUploadId: string | undefined;
  /** A PutObject or CompleteMultipartUpload was sent: an object may exist under the key. */
  private mayHaveCreatedObject = false;
  private failure: Error | undefined;
  private sent = 0;
  private state: 'open' | 'completing' | 'completed' | 'aborted' = 'open';

  constructor(private readonly p: S3UploadParams) {
    this.destination = p.destination;
    this.key = p.key;
    this.finished = new Promise<void>((resolve, reject) => {
      this.resolveFinished = resolve;
      this.rejectFinished = reject;
    });
    this.finished.catch(() => undefined);
    this.stream = new Writable({
      write: (chunk: Buffer, _enc, callback) => this.accept(chunk).then(() => callback(), callback),
      final: (callback) =>
        this.sendRest().then(
          () => {
            this.resolveFinished();
            callback();
          },
          (err: Error) => {
            this.rejectFinished(err);
            callback(err);
          },
        ),
      destroy: (err, callback) => {
        // Settles complete() if the end never comes (no-op once finished).
        this.rejectFinished(this.failure ?? err ?? new UploadFailedError(`upload of ${this.key} stopped`));
        callback(err);
      },
    });
    // Errors surface through complete() and the fan-out's listener, never as a crash.
    this.stream.on('error', () => undefined);
  }

  get uploadedBytes(): number {
    return this.sent;
  }

  async complete(expectedSize: number): Promise<StoredObject> {
    if (this.state !== 'open') throw new UploadFailedError(`upload of ${this.key} was already ${this.state}`);
    this.state = 'completing';
    try {
      if (!this.stream.writableEnded && !this.stream.destroyed) this.stream.end();
      await this.finished;
      const head = await this.control<HeadObjectCommandOutput>(
        `reading back the size of ${this.key}`,
        () => new (s3().HeadObjectCommand)({ Bucket: this.p.bucket, Key: this.p.objectKey }),
      );
      const size = head.ContentLength ?? -1;
      if (size !== expectedSize) {
        throw new UploadSizeMismatchError(
          `s3://${this.p.bucket}/${this.p.objectKey} has ${size} bytes after upload, expected ${expectedSize}; it was deleted`,
          'the server may alter uploads: keep checksumMode WHEN_REQUIRED for S3-compatible servers and retry',
        );
      }
      this.state = 'completed';
      return { key: this.key, size, lastModified: head.LastModified ?? new Date() };
    } catch (err) {
      await this.abort(err);
      throw err;
    }
  }

  /**
   * Stops the upload and removes every trace: pending parts and any object under the key,
   * including a completed one. Never throws.
   */
  async abort(reason?: Error): Promise<void> {
    if (this.state === 'aborted') return;
    this.state = 'aborted';
    this.failure ??= reason ?? new UploadFailedError(`upload of ${this.key} was aborted`);
    this.abortRequests.abort();
    if (!this.stream.destroyed) this.stream.destroy();
    // Wait until no request can still create the object, then clean up.
    while (this.requests.size > 0) await Promise.allSettled([...this.requests]);
    const { client, bucket, objectKey } = this.p;
    const uploadId = this.createdUploadId;
    // A stalled server must not hold the failure up: what is left, the next run's sweep aborts.
    const limit = () => ({ abortSignal: AbortSignal.timeout(this.p.stall.stallMs) });
    if (uploadId) {
      await client
        .send(new (s3().AbortMultipartUploadCommand)({ Bucket: bucket, Key: objectKey, UploadId: uploadId }), limit())
        .catch(() => undefined);
    }
    if (this.mayHaveCreatedObject) {
      await client.send(new (s3().DeleteObjectCommand)({ Bucket: bucket, Key: objectKey }), limit()).catch(() => undefined);
    }
    this.pool.length = 0;
    this.current = undefined;
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** Copies a chunk into part buffers, sending each one that fills up. */
  private async accept(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      this.throwIfFailed();
      this.current ??= await this.takeBuffer(partSizeAt(this.partNumber + 1, this.p.partSize));
      const copied = chunk.copy(this.current, this.filled, offset);
      offset += copied;
      this.filled += copied;
      if (this.filled === this.current.length) this.sendPart();
    }
  }

  /** A free part buffer of `size` bytes, waiting for a part in flight when all are busy. */
  private async takeBuffer(size: number): Promise<Buffer> {
    if (size !== this.poolPartSize) {
      // The part size grew: buffers of the old size are let go as they come back.
      this.pool.length = 0;
      this.allocated = this.inFlight.size;
      this.poolPartSize = size;
    }
    for (;;) {
      this.throwIfFailed();
      const free = this.pool.pop();
      if (free) return free;
      if (this.allocated < this.p.queueSize + 1) {
        this.allocated++;
        return Buffer.allocUnsafe(size);
      }
      await Promise.race(this.inFlight);
    }
  }

  private sendPart(): void {
    const buffer = this.current as Buffer;
    const length = this.filled;
    this.current = undefined;
    this.filled = 0;
    const partNumber = ++this.partNumber;
    if (partNumber > MAX_PARTS) {
      const max = maxMultipartBytes(this.p.partSize);
      this.failure ??= new UploadFailedError(
        `the archive is larger than ${(max / 1024 ** 3).toFixed(2)} GiB, the most a ${this.p.partSize / 1024 ** 2} MiB base part size allows on S3 (10,000 parts)`,
        'raise the S3 part size (partSizeMb) or pass a size hint to openUpload',
      );
      throw this.failure;
    }
    const sent = (async () => {
      const uploadId = await this.multipartId();
      const action = `uploading part ${partNumber} of ${this.key}`;
      // The body is a stream so the watchdog sees each 64 KiB the socket takes: a frozen server
      // fails the part in BACKUP_S3_STALL_SECONDS, not after the socket's idle timeout per try.
      const out = await withStallRetries(
        this.p.stall,
        action,
        (watchdog) => {
          let sentNow = 0;
          const count = (n: number) => ((sentNow += n), (this.sent += n));
          return this.send<UploadPartCommandOutput>(
            new (s3().UploadPartCommand)({
              Bucket: this.p.bucket,
              Key: this.p.objectKey,
              UploadId: uploadId,
              PartNumber: partNumber,
              Body: progressBody(buffer.subarray(0, length), watchdog, count),
              ContentLength: length,
            }),
            action,
            watchdog.controller.signal,
          ).catch((err) => {
            this.sent -= sentNow; // sent again by the next try
            throw err;
          });
        },
        () => this.state === 'aborted',
      );
      this.parts.push({ PartNumber: partNumber, ETag: out.ETag });
    })().then(
      () => {
        if (buffer.length === this.poolPartSize) this.pool.push(buffer);
        else this.allocated--;
      },
      (err: Error) => {
        this.failure ??= err;
        // Nobody reads the stream any more: unblock the writer with the real error.
        if (!this.stream.destroyed) this.stream.destroy(this.failure);
      },
    );
    const tracked = sent.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  /** After the last byte: one PutObject for a small archive, else the last part and Complete. */
  private async sendRest(): Promise<void> {
    this.throwIfFailed();
    if (this.partNumber === 0) {
      this.mayHaveCreatedObject = true;
      const body = this.current ? this.current.subarray(0, this.filled) : Buffer.alloc(0);
      await this.control(
        `uploading ${this.key}`,
        (watchdog) =>
          new (s3().PutObjectCommand)({
            Bucket: this.p.bucket,
            Key: this.p.objectKey,
            Body: progressBody(body, watchdog),
            ContentLength: body.length,
            ContentType: 'application/zip',
          }),
      );
      this.sent += body.length;
      return;
    }
    if (this.filled > 0) this.sendPart();
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    this.throwIfFailed();
    const uploadId = await this.multipartId();
    this.mayHaveCreatedObject = true;
    const parts = [...this.parts].sort((a, b) => a.PartNumber - b.PartNumber);
    await this.control(
      `completing the upload of ${this.key}`,
      () =>
        new (s3().CompleteMultipartUploadCommand)({
          Bucket: this.p.bucket,
          Key: this.p.objectKey,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
    );
  }

  private multipartId(): Promise<string> {
    this.uploadId ??= this.control<CreateMultipartUploadCommandOutput>(
      `starting the upload of ${this.key}`,
      () => new (s3().CreateMultipartUploadCommand)({ Bucket: this.p.bucket, Key: this.p.objectKey, ContentType: 'application/zip' }),
    ).then((out) => {
      if (!out.UploadId) throw new UploadFailedError(`the server gave no upload id for ${this.key}`);
      this.createdUploadId = out.UploadId;
      return out.UploadId;
    });
    return this.uploadId;
  }

  /**
   * A request that is not a part (start, a small archive's PutObject, Complete, the read-back) under the same
   * no-progress limit and retries as a part: a server that freezes at that moment fails the run
   * in BACKUP_S3_STALL_SECONDS per try instead of the socket's 60 s idle timeout on each of the
   * SDK's attempts (189 s measured). abort() does not cut it off (see send()).
   */
  private control<O>(action: string, command: (watchdog: Watchdog) => object): Promise<O> {
    return withStallRetries(
      this.p.stall,
      action,
      (watchdog) => this.send<O>(watchAnswer(command(watchdog), watchdog), action, undefined, watchdog.controller.signal),
      () => this.state === 'aborted',
    );
  }

  /**
   * Sends one command, tracked so abort() can wait for it, with its error translated (no
   * secrets, a hint). Only part uploads are cancelled by abort(): a PutObject or Complete cut
   * off on our side may still land on the server, after the clean-up that should remove it.
   */
  private async send<O>(command: object, action: string, cancellable?: AbortSignal, limit?: AbortSignal): Promise<O> {
    const signal = cancellable ? AbortSignal.any([this.abortRequests.signal, cancellable]) : limit;
    const request = this.p.client.send(command as never, signal ? { abortSignal: signal } : {}) as Promise<O>;
    const settled = request.catch(() => undefined);
    this.requests.add(settled);
    void settled.finally(() => this.requests.delete(settled));
    try {
      return await request;
    } catch (err) {
      if (this.state === 'aborted' && this.failure) throw this.failure;
      // A stalled or transient failure of a part goes back to withStallRetries untranslated.
      if (cancellable?.aborted || limit?.aborted) throw err;
      const translated = translateS3Error(err, this.p.errorContext(action));
      if (cancellable && translated !== err) Object.assign(translated, { cause: err });
      throw translated;
    }
  }
}
