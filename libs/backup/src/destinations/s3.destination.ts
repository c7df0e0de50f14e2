import { Readable, Transform, TransformCallback, Writable } from 'node:stream';
import type * as S3Sdk from '@aws-sdk/client-s3';
import type { CreateMultipartUploadCommandOutput, S3Client } from '@aws-sdk/client-s3';
import type * as S3Storage from '@aws-sdk/lib-storage';
import { Redactor } from '../common/redact';
import { assertSafeKey, UploadFailedError, UploadSizeMismatchError } from './destination.errors';
import { BackupDestination, DestinationUpload, StoredObject, UploadOptions } from './destination.interface';
import { S3ErrorContext, translateS3Error } from './s3-error.translator';

/**
 * The SDK is loaded when the first S3 disk is made: an app that only writes to local disk never
 * pays its start-up time and its ~20 MB of memory.
 */
let sdk: typeof S3Sdk | undefined;
let storage: typeof S3Storage | undefined;
const s3 = (): typeof S3Sdk => (sdk ??= require('@aws-sdk/client-s3') as typeof S3Sdk);
const libStorage = (): typeof S3Storage => (storage ??= require('@aws-sdk/lib-storage') as typeof S3Storage);

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
  /** Multipart part size in MiB (min 5). Default 16: archives up to 156.25 GiB without a size hint. */
  partSizeMb?: number;
  /** Parts uploaded in parallel; memory use is about (queueSize + 1) × part size. Default 3. */
  queueSize?: number;
  /** How long to wait for a TCP connection; default 5000 ms, so a dead endpoint fails in seconds. */
  connectTimeoutMs?: number;
  /** A socket idle longer than this fails the request; default 60000 ms. */
  socketTimeoutMs?: number;
  /** Overall limit for checkReachable(); default 10000 ms. */
  reachableTimeoutMs?: number;
  /** SDK attempts per request (retries included); default 3. */
  maxAttempts?: number;
}

const MIB = 1024 * 1024;
const MAX_PARTS = 10_000;
export const DEFAULT_PART_SIZE_MB = 16;
export const DEFAULT_QUEUE_SIZE = 3;

/**
 * Backups in an S3 bucket (AWS or any S3-compatible service). Archives are streamed with a
 * multipart upload (@aws-sdk/lib-storage), so no local copy is needed; after the upload the
 * object's size is read back and compared, and a failed or aborted upload leaves no object.
 *
 * @example new S3Destination({ bucket: 'backups', region: 'eu-west-1' })
 */
export class S3Destination implements BackupDestination {
  readonly name: string;
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly endpointLabel: string;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly reachableTimeoutMs: number;
  private readonly redactor: Redactor;

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
    this.redactor = new Redactor([options.secretAccessKey, options.sessionToken]);
    const checksumMode = options.checksumMode ?? 'WHEN_REQUIRED';
    this.client = new (s3().S3Client)({
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
      requestHandler: {
        connectionTimeout: options.connectTimeoutMs ?? 5_000,
        socketTimeout: options.socketTimeoutMs ?? 60_000,
      },
    });
  }

  describe(): string {
    return `s3://${this.bucket}/${this.prefix} (${this.endpointLabel})`;
  }

  /** The largest archive an upload can take with this part size (10,000 parts). */
  maxUploadBytes(sizeHint?: number): number {
    return this.partSizeFor(sizeHint) * MAX_PARTS;
  }

  async openUpload(key: string, options: UploadOptions = {}): Promise<DestinationUpload> {
    assertSafeKey(key);
    return new S3Upload({
      destination: this.name,
      key,
      objectKey: this.prefix + key,
      bucket: this.bucket,
      client: this.client,
      partSize: this.partSizeFor(options.sizeHint),
      queueSize: this.queueSize,
      errorContext: (action) => this.errorContext(action),
    });
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    let token: string | undefined;
    do {
      const page = await this.guard(
        this.client.send(
          new (s3().ListObjectsV2Command)({ Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken: token }),
        ),
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
      const head = await this.client.send(new (s3().HeadObjectCommand)({ Bucket: this.bucket, Key: this.prefix + key }));
      return { key, size: head.ContentLength ?? 0, lastModified: head.LastModified ?? new Date(0) };
    } catch (err) {
      if (err?.$metadata?.httpStatusCode === 404) return null;
      throw translateS3Error(err, this.errorContext(`reading the size of ${key}`));
    }
  }

  async read(key: string, range?: { start: number; end: number }): Promise<Readable> {
    assertSafeKey(key);
    const res = await this.guard(
      this.client.send(
        new (s3().GetObjectCommand)({
          Bucket: this.bucket,
          Key: this.prefix + key,
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      ),
      `reading ${key}`,
    );
    return res.Body as Readable;
  }

  async delete(key: string): Promise<void> {
    assertSafeKey(key);
    await this.guard(
      this.client.send(new (s3().DeleteObjectCommand)({ Bucket: this.bucket, Key: this.prefix + key })),
      `deleting ${key}`,
    );
  }

  /** One ListObjectsV2 of a single key: proves endpoint, credentials, bucket and list rights. */
  async checkReachable(): Promise<void> {
    await this.client
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

interface S3UploadParams {
  destination: string;
  key: string;
  objectKey: string;
  bucket: string;
  client: S3Client;
  partSize: number;
  queueSize: number;
  errorContext(action: string): S3ErrorContext;
}

/**
 * One streaming multipart upload. lib-storage sends the parts; this class adds what it lacks
 * here: a clear error before part 10,001, a size check after completion, and an abort that
 * waits for requests in flight and then makes sure nothing is left under the key (s3rver, for
 * one, does not implement AbortMultipartUpload).
 */
class S3Upload implements DestinationUpload {
  readonly destination: string;
  readonly key: string;
  readonly stream: Writable;
  /** What lib-storage reads; separate from `stream` so its own teardown never reaches writers. */
  private readonly body: ByteLimit;
  private readonly upload: S3Storage.Upload;
  private readonly done: Promise<unknown>;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly partAbort = new AbortController();
  private uploadId: string | undefined;
  /** A PutObject or CompleteMultipartUpload was sent: an object may exist under the key. */
  private mayHaveCreatedObject = false;
  private failure: Error | undefined;
  private state: 'open' | 'completing' | 'completed' | 'aborted' = 'open';

  constructor(private readonly p: S3UploadParams) {
    this.destination = p.destination;
    this.key = p.key;
    const maxBytes = p.partSize * MAX_PARTS;
    this.body = new ByteLimit(maxBytes, () =>
      new UploadFailedError(
        `the archive is larger than ${formatGiB(maxBytes)}, the most a ${p.partSize / MIB} MiB part size allows on S3 (10,000 parts)`,
        'raise the S3 part size (partSizeMb) or pass a size hint to openUpload',
      ),
    );
    // lib-storage destroys the body with a bare AbortError when a part fails; the real error
    // arrives through done(), so the body's own errors are not passed on.
    this.body.on('error', () => undefined);
    this.stream = this.createSink();
    // Errors surface through complete() and the fan-out's listener, never as a crash.
    this.stream.on('error', () => undefined);
    this.upload = new (libStorage().Upload)({
      client: this.trackedClient(),
      params: { Bucket: p.bucket, Key: p.objectKey, Body: this.body, ContentType: 'application/zip' },
      partSize: p.partSize,
      queueSize: p.queueSize,
      // Parts are cleaned up by abort() below, which keeps the original error.
      leavePartsOnError: true,
    });
    this.done = this.upload.done();
    this.done.catch((err) => {
      if (this.state === 'aborted') return;
      this.failure = translateS3Error(err, p.errorContext(`uploading ${p.key}`));
      // Unblock the writer: nobody reads the stream any more.
      this.stream.destroy(this.failure);
    });
  }

  async complete(expectedSize: number): Promise<StoredObject> {
    if (this.state !== 'open') throw new UploadFailedError(`upload of ${this.key} was already ${this.state}`);
    this.state = 'completing';
    try {
      if (!this.stream.writableEnded && !this.stream.destroyed) this.stream.end();
      if (!this.body.writableEnded && !this.body.destroyed) this.body.end();
      await this.done.catch((err) => {
        throw this.failure ?? translateS3Error(err, this.p.errorContext(`uploading ${this.key}`));
      });
      this.mayHaveCreatedObject = true;
      const head = await this.p.client
        .send(new (s3().HeadObjectCommand)({ Bucket: this.p.bucket, Key: this.p.objectKey }))
        .catch((err) => {
          throw translateS3Error(err, this.p.errorContext(`reading back the size of ${this.key}`));
        });
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
  async abort(_reason?: Error): Promise<void> {
    if (this.state === 'aborted') return;
    this.state = 'aborted';
    this.partAbort.abort();
    await this.upload.abort().catch(() => undefined);
    if (!this.stream.destroyed) this.stream.destroy();
    if (!this.body.destroyed) this.body.destroy();
    // Wait until no request can still create the object, then clean up.
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    const { client, bucket, objectKey } = this.p;
    if (this.uploadId) {
      await client
        .send(new (s3().AbortMultipartUploadCommand)({ Bucket: bucket, Key: objectKey, UploadId: this.uploadId }))
        .catch(() => undefined);
    }
    if (this.mayHaveCreatedObject) {
      await client.send(new (s3().DeleteObjectCommand)({ Bucket: bucket, Key: objectKey })).catch(() => undefined);
    }
  }

  /**
   * The writable handed to callers. Each chunk is passed to the body once the previous one was
   * taken (lib-storage's pace); when the body breaks, the write fails with the upload's real,
   * translated error instead of the body's AbortError.
   */
  private createSink(): Writable {
    const realError = (fallback: Error | null | undefined): Promise<Error> =>
      this.done.then(
        () => fallback ?? new UploadFailedError(`upload of ${this.key} stopped`),
        () => this.failure ?? fallback ?? new UploadFailedError(`upload of ${this.key} stopped`),
      );
    return new Writable({
      write: (chunk: Buffer, _enc, callback) => {
        if (this.body.destroyed) return void realError(null).then(callback);
        this.body.write(chunk, (err) => (err ? void realError(err).then(callback) : callback()));
      },
      final: (callback) => {
        if (this.body.destroyed) return void realError(null).then(callback);
        this.body.end((err?: Error | null) => (err ? void realError(err).then(callback) : callback()));
      },
    });
  }

  /**
   * The client lib-storage uses: same configuration, but it records every request so abort()
   * can wait for them, remembers the upload id, and lets abort() cancel part uploads at once.
   */
  private trackedClient(): S3Client {
    const client = this.p.client;
    const tracked = Object.create(client) as S3Client;
    tracked.send = ((command: { constructor: unknown }, options?: object) => {
      const isPart = command instanceof s3().UploadPartCommand;
      if (command instanceof s3().PutObjectCommand || command instanceof s3().CompleteMultipartUploadCommand) {
        this.mayHaveCreatedObject = true;
      }
      const sent = client.send(command as never, isPart ? { ...options, abortSignal: this.partAbort.signal } : options);
      const settled = sent.then(
        (out: unknown) => {
          if (command instanceof s3().CreateMultipartUploadCommand) {
            this.uploadId = (out as CreateMultipartUploadCommandOutput).UploadId;
          }
        },
        () => undefined,
      );
      this.inFlight.add(settled);
      void settled.then(() => this.inFlight.delete(settled));
      return sent;
    }) as S3Client['send'];
    return tracked;
  }
}

/** Passes bytes through and fails once more than `max` went by. */
class ByteLimit extends Transform {
  bytes = 0;

  constructor(
    private readonly max: number,
    private readonly tooLarge: () => Error,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max) return callback(this.tooLarge());
    callback(null, chunk);
  }
}

function normalisePrefix(prefix?: string): string {
  const p = (prefix ?? '').replace(/^\/+/, '');
  return p && !p.endsWith('/') ? `${p}/` : p;
}

function formatGiB(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}
