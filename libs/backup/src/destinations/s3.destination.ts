import { Logger } from '@nestjs/common';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { Redactor } from '../common/redact';
import { assertSafeKey, UploadFailedError } from './destination.errors';
import { BackupDestination, DestinationUpload, IncompleteUpload, StoredObject, UploadOptions } from './destination.interface';
import { S3ErrorContext, translateS3Error } from './s3-error.translator';
import { MAX_PARTS, maxMultipartBytes, S3MultipartUpload } from './s3-multipart.upload';
import { refuseNonS3Answers } from './s3-endpoint.check';
import { s3 } from './s3-sdk';
import { parallelRangedRead, ParallelReadPlan } from './parallel-ranged.read';
import { DEFAULT_S3_RETRIES, DEFAULT_STALL_SECONDS, isTransient, stalledError, StallPolicy, withStallRetries } from './stall.watchdog';

export type S3ChecksumMode = 'WHEN_REQUIRED' | 'WHEN_SUPPORTED';

export interface S3DestinationOptions {
  /** Disk name used in BACKUP_DISKS and messages; default "s3". */
  name?: string;
  bucket: string;
  /** AWS_DEFAULT_REGION; default us-east-1. */
  region?: string;
  /** AWS_ENDPOINT, for S3-compatible services (MinIO, R2, Spaces, B2, Wasabi, s3rver). */
  endpoint?: string;
  /** AWS_USE_PATH_STYLE_ENDPOINT: bucket in the path instead of the host name (MinIO). */
  forcePathStyle?: boolean;
  /** Without a key pair the SDK's default chain (environment, profile, instance role) is used. */
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** Folder inside the bucket every key lives under, e.g. "backups/". */
  prefix?: string;
  /**
   * The SDK's request/response checksum mode. WHEN_REQUIRED (default) keeps uploads
   * byte-identical on servers that do not understand aws-chunked trailers (s3rver, older MinIO,
   * R2, ...); the library checks sizes itself. See docs: shared/reference/s3-compat.md.
   */
  checksumMode?: S3ChecksumMode;
  /**
   * Multipart part size in MiB (min 5) for the first 2,000 parts, doubling every 2,000 parts
   * after that. Default 5 (the S3 minimum): archives up to 302 GiB without a size hint.
   */
  partSizeMb?: number;
  /** Parts uploaded in parallel; memory use is (queueSize + 1) × part size. Default 2. */
  queueSize?: number;
  /** How long to wait for a TCP connection; default 5000 ms, so a dead endpoint fails in seconds. */
  connectTimeoutMs?: number;
  /** A socket idle longer than this fails the request; default 60000 ms. */
  socketTimeoutMs?: number;
  /** Overall limit for checkReachable(); default 10000 ms. */
  reachableTimeoutMs?: number;
  /** SDK attempts per request (retries included); default 3. */
  maxAttempts?: number;
  /**
   * BACKUP_S3_STALL_SECONDS: a part upload or ranged read that moves no byte for this long is
   * aborted and tried again; default 20.
   */
  stallSeconds?: number;
  /** BACKUP_S3_RETRIES: tries after a stalled or dropped part / ranged read, with backoff; default 3. */
  retries?: number;
  /**
   * BACKUP_S3_READ_CONCURRENCY: ranged GETs in flight when a restore or verify reads a long range
   * (2 MiB pieces, ranges over 4 MiB); 1 reads each range as one GET. Default 4.
   */
  readConcurrency?: number;
}

/** What S3Destination.client offers without the SDK's types: the S3Client's `send` and `destroy`. */
export interface S3ClientHandle {
  send(command: object, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
  destroy(): void;
}

const MIB = 1024 * 1024;
export const DEFAULT_PART_SIZE_MB = 5;
export const DEFAULT_QUEUE_SIZE = 2;
export const DEFAULT_READ_CONCURRENCY = 4;
const READ_PIECE_BYTES = 2 * MIB;

/**
 * Backups in an S3 bucket (AWS or any S3-compatible service). Archives are streamed with a
 * multipart upload (S3MultipartUpload), so no local copy is needed; after the upload the
 * object's size is read back and compared, and a failed or aborted upload leaves no object.
 *
 * @example new S3Destination({ bucket: 'backups', region: 'eu-west-1' })
 */
export class S3Destination implements BackupDestination {
  readonly name: string;
  private readonly sdk: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly endpointLabel: string;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly reachableTimeoutMs: number;
  private readonly redactor: Redactor;
  private readonly stall: StallPolicy;
  private readonly readPlan: ParallelReadPlan;

  /**
   * The SDK's S3Client this destination sends with (to close it: `client.destroy()`). Typed by
   * what it offers rather than as S3Client, so the package's declarations compile in a host
   * without @aws-sdk/client-s3 (an optional peer); a host that has the SDK may cast it.
   */
  get client(): S3ClientHandle {
    return this.sdk;
  }

  constructor(private readonly options: S3DestinationOptions) {
    this.name = options.name ?? 's3';
    this.bucket = options.bucket;
    this.prefix = normalisePrefix(options.prefix);
    const region = options.region || 'us-east-1';
    this.endpointLabel = options.endpoint ?? `AWS S3 (${region})`;
    const partSizeMb = options.partSizeMb ?? DEFAULT_PART_SIZE_MB;
    if (!(partSizeMb >= 5)) {
      throw new UploadFailedError(`S3 part size ${partSizeMb} MiB is too small`, 'use a part size of at least 5 MiB');
    }
    this.partSize = Math.ceil(partSizeMb * MIB);
    this.queueSize = Math.max(1, options.queueSize ?? DEFAULT_QUEUE_SIZE);
    this.reachableTimeoutMs = options.reachableTimeoutMs ?? 10_000;
    this.readPlan = { pieceBytes: READ_PIECE_BYTES, concurrency: Math.max(1, options.readConcurrency ?? DEFAULT_READ_CONCURRENCY) };
    this.redactor = new Redactor([options.secretAccessKey, options.sessionToken]);
    this.stall = {
      stallMs: (options.stallSeconds ?? DEFAULT_STALL_SECONDS) * 1000,
      retries: options.retries ?? DEFAULT_S3_RETRIES,
      endpoint: this.endpointLabel,
      onRetry: (message) => new Logger('S3').warn(this.redactor.redact(message)),
    };
    const checksumMode = options.checksumMode ?? 'WHEN_REQUIRED';
    this.sdk = new (s3().S3Client)({
      region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle,
      credentials: options.accessKeyId
        ? {
            accessKeyId: options.accessKeyId,
            secretAccessKey: options.secretAccessKey ?? '',
            sessionToken: options.sessionToken,
          }
        : undefined,
      requestChecksumCalculation: checksumMode,
      responseChecksumValidation: checksumMode,
      maxAttempts: options.maxAttempts ?? 3,
      // The SDK's default logger is silent except for console.warn on a failed streaming
      // request (every part upload): those are retried and reported by this library.
      logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
      requestHandler: {
        connectionTimeout: options.connectTimeoutMs ?? 5_000,
        socketTimeout: options.socketTimeoutMs ?? 60_000,
      },
    });
    refuseNonS3Answers(this.sdk, this.endpointLabel);
  }

  describe(): string {
    return `s3://${this.bucket}/${this.prefix} (${this.endpointLabel})`;
  }

  /** The largest archive an upload can take with this part size (10,000 parts). */
  maxUploadBytes(sizeHint?: number): number {
    return maxMultipartBytes(this.partSizeFor(sizeHint));
  }

  async openUpload(key: string, options: UploadOptions = {}): Promise<DestinationUpload> {
    assertSafeKey(key);
    return new S3MultipartUpload({
      destination: this.name,
      key,
      objectKey: this.prefix + key,
      bucket: this.bucket,
      client: this.sdk,
      partSize: this.partSizeFor(options.sizeHint),
      queueSize: this.queueSize,
      stall: this.stall,
      errorContext: (action) => this.errorContext(action),
    });
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    let token: string | undefined;
    do {
      const page = await this.guard(
        this.sdk.send(new (s3().ListObjectsV2Command)({ Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken: token })),
        `listing "${prefix}"`,
      );
      for (const o of page.Contents ?? []) {
        if (!o.Key || o.Key.endsWith('/')) continue;
        yield { key: o.Key.slice(this.prefix.length), size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async stat(key: string): Promise<StoredObject | null> {
    assertSafeKey(key);
    try {
      const head = await this.sdk.send(new (s3().HeadObjectCommand)({ Bucket: this.bucket, Key: this.prefix + key }));
      return { key, size: head.ContentLength ?? 0, lastModified: head.LastModified ?? new Date(0) };
    } catch (err) {
      if (err?.$metadata?.httpStatusCode === 404) return null;
      throw translateS3Error(err, this.errorContext(`reading the size of ${key}`));
    }
  }

  /**
   * Streams the object or a range of it under a no-progress watchdog: a read that stalls (before
   * the answer or mid-body) is aborted and resumed from the next byte not yet delivered, with
   * backoff, up to BACKUP_S3_RETRIES times; then it fails naming the stall.
   */
  async read(key: string, range?: { start: number; end: number }): Promise<Readable> {
    assertSafeKey(key);
    // A long range (a dump, a large file) goes as several ranged GETs at once (BACKUP_S3_READ_CONCURRENCY).
    if (range && this.readPlan.concurrency > 1 && range.end - range.start + 1 > 2 * this.readPlan.pieceBytes) {
      return parallelRangedRead(range.start, range.end, this.readPlan, (start, end) => this.readOne(key, { start, end }));
    }
    return this.readOne(key, range);
  }

  private async readOne(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const action = `reading ${key}`;
    let position = range?.start ?? 0;
    const open = () =>
      withStallRetries(this.stall, action, async (watchdog) => {
        const res = await this.sdk
          .send(
            new (s3().GetObjectCommand)({
              Bucket: this.bucket,
              Key: this.prefix + key,
              Range: range ? `bytes=${position}-${range.end}` : position > 0 ? `bytes=${position}-` : undefined,
            }),
            { abortSignal: watchdog.controller.signal },
          )
          .catch((err) => {
            throw watchdog.fired || isRetryableRead(err) ? err : translateS3Error(err, this.errorContext(action));
          });
        const body = res.Body as Readable;
        // Once the answer is in, the request's signal no longer reaches the body: cut it here.
        watchdog.controller.signal.addEventListener('abort', () => body.destroy(new Error('stalled')), { once: true });
        return { body, watchdog };
      }).catch((err) => {
        throw translateS3Error(err, this.errorContext(action));
      });
    // The first answer comes before the stream is handed out, so "no such object" throws here.
    let current = await open();
    const stall = this.stall;
    const errorContext = () => this.errorContext(action);
    return Readable.from(
      (async function* () {
        for (let tries = 0; ;) {
          const { body, watchdog } = current;
          try {
            for await (const chunk of body) {
              watchdog.pause(); // the consumer, not the server, decides how fast chunks go
              position += (chunk as Buffer).length;
              tries = 0;
              yield chunk as Buffer;
              watchdog.kick();
            }
            return;
          } catch (err) {
            if (!(watchdog.fired || isRetryableRead(err)) || tries >= stall.retries) {
              if (watchdog.fired) throw stalledError(stall, action, tries + 1);
              throw translateS3Error(err, errorContext());
            }
            const wait = (stall.backoffMs ?? 1000) * 2 ** tries++;
            stall.onRetry?.(
              `${action} ${watchdog.fired ? `moved no byte for ${stall.stallMs / 1000} s` : 'was cut off'}; resuming at byte ${position} in ${wait / 1000} s (retry ${tries} of ${stall.retries})`,
            );
            await new Promise((resolve) => setTimeout(resolve, wait));
            current = await open();
          } finally {
            // Also when the reader stops early: the socket is released, the timer cleared.
            watchdog.stop();
            body.destroy();
          }
        }
      })(),
      { objectMode: false },
    );
  }

  async delete(key: string): Promise<void> {
    assertSafeKey(key);
    await this.guard(this.sdk.send(new (s3().DeleteObjectCommand)({ Bucket: this.bucket, Key: this.prefix + key })), `deleting ${key}`);
  }

  /**
   * Multipart uploads under `prefix` that were never completed or aborted, with their parts
   * counted and summed (ListParts): a run killed with SIGKILL leaves one, billed until aborted.
   */
  async listIncompleteUploads(prefix: string): Promise<IncompleteUpload[]> {
    const found: IncompleteUpload[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const page = await this.guard(
        this.sdk.send(
          new (s3().ListMultipartUploadsCommand)({
            Bucket: this.bucket,
            Prefix: this.prefix + prefix,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
        ),
        `listing incomplete uploads under "${prefix}"`,
      );
      for (const u of page.Uploads ?? []) {
        if (!u.Key || !u.UploadId) continue;
        const { parts, bytes } = await this.partsOf(u.Key, u.UploadId);
        found.push({ key: u.Key.slice(this.prefix.length), uploadId: u.UploadId, initiated: u.Initiated ?? new Date(0), parts, bytes });
      }
      const more = page.IsTruncated === true || String(page.IsTruncated) === 'true';
      keyMarker = more ? page.NextKeyMarker : undefined;
      uploadIdMarker = more ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
    return found;
  }

  async abortIncompleteUpload(upload: IncompleteUpload): Promise<void> {
    assertSafeKey(upload.key);
    await this.guard(
      this.sdk.send(
        new (s3().AbortMultipartUploadCommand)({ Bucket: this.bucket, Key: this.prefix + upload.key, UploadId: upload.uploadId }),
      ),
      `aborting the incomplete upload of ${upload.key}`,
    );
  }

  /** Reads the bucket's lifecycle: does an enabled rule abort incomplete uploads under `prefix`? */
  async abortsIncompleteUploads(prefix: string): Promise<boolean | undefined> {
    try {
      const out = await this.sdk.send(new (s3().GetBucketLifecycleConfigurationCommand)({ Bucket: this.bucket }), {
        abortSignal: AbortSignal.timeout(this.reachableTimeoutMs),
      });
      return (out.Rules ?? []).some((rule) => {
        const covers = rule.Filter?.Prefix ?? rule.Filter?.And?.Prefix ?? rule.Prefix ?? '';
        return (
          rule.Status === 'Enabled' &&
          rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation !== undefined &&
          (this.prefix + prefix).startsWith(covers)
        );
      });
    } catch (err) {
      // No configuration at all is an answer ("missing"); anything else (no right to read it,
      // a server without lifecycle support) is "cannot tell".
      return err?.name === 'NoSuchLifecycleConfiguration' ? false : undefined;
    }
  }

  private async partsOf(objectKey: string, uploadId: string): Promise<{ parts: number; bytes: number }> {
    let parts = 0;
    let bytes = 0;
    let marker: string | undefined;
    do {
      const page = await this.guard(
        this.sdk.send(new (s3().ListPartsCommand)({ Bucket: this.bucket, Key: objectKey, UploadId: uploadId, PartNumberMarker: marker })),
        `listing the parts of an incomplete upload of ${objectKey}`,
      );
      for (const p of page.Parts ?? []) {
        parts++;
        bytes += p.Size ?? 0;
      }
      const more = page.IsTruncated === true || String(page.IsTruncated) === 'true';
      marker = more && page.NextPartNumberMarker ? String(page.NextPartNumberMarker) : undefined;
    } while (marker);
    return { parts, bytes };
  }

  /** One ListObjectsV2 of a single key: proves endpoint, credentials, bucket and list rights. */
  async checkReachable(): Promise<void> {
    await this.sdk
      .send(new (s3().ListObjectsV2Command)({ Bucket: this.bucket, Prefix: this.prefix, MaxKeys: 1 }), {
        abortSignal: AbortSignal.timeout(this.reachableTimeoutMs),
      })
      .catch((err) => {
        throw translateS3Error(err, this.errorContext('checking the bucket'));
      });
  }

  private partSizeFor(sizeHint?: number): number {
    if (!sizeHint || sizeHint <= 0) return this.partSize;
    // 10 % headroom over the hint, rounded up to whole MiB.
    const needed = Math.ceil((sizeHint * 1.1) / MAX_PARTS / MIB) * MIB;
    return Math.max(this.partSize, needed);
  }

  /** Awaits an SDK call and turns its failure into a clear BackupError. */
  private async guard<T>(request: Promise<T>, action: string): Promise<T> {
    try {
      return await request;
    } catch (err) {
      throw translateS3Error(err, this.errorContext(action));
    }
  }

  private errorContext(action: string): S3ErrorContext {
    return { bucket: this.bucket, endpoint: this.endpointLabel, action, redactor: this.redactor };
  }
}

/** A read error worth another try: a stall, a dropped connection, a 5xx (never a 403 or 404). */
function isRetryableRead(err: unknown): boolean {
  return isTransient(err);
}

function normalisePrefix(prefix?: string): string {
  const p = (prefix ?? '').replace(/^\/+/, '');
  return p && !p.endsWith('/') ? `${p}/` : p;
}
