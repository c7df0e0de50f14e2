import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CreateMultipartUploadCommand,
  PutBucketLifecycleConfigurationCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { DestinationUnreachableError, UploadSizeMismatchError } from '../../libs/backup/src/destinations/destination.errors';
import { S3Destination } from '../../libs/backup/src/destinations/s3.destination';
import { startMotoServer, startS3AuthProxy, startS3Server, TestS3Server } from '../support/s3.server';

const MIB = 1024 * 1024;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Feeds `data` in 64 KiB chunks, as an archive stream would. */
function chunked(data: Buffer): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < data.length; i += 64 * 1024) yield data.subarray(i, i + 64 * 1024);
    })(),
  );
}

describe('S3Destination against s3rver', () => {
  let s3: TestS3Server;
  let dest: S3Destination;

  beforeAll(async () => {
    s3 = await startS3Server();
  });
  afterAll(async () => {
    dest?.client.destroy();
    await s3.stop();
  });
  beforeEach(() => {
    dest?.client.destroy();
    dest = new S3Destination({
      bucket: s3.bucket,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      partSizeMb: 5,
      queueSize: 2,
    });
  });

  it('streams a 12 MiB archive as a multipart upload and stores exactly those bytes', async () => {
    const data = randomBytes(12 * MIB);
    const upload = await dest.openUpload('app/2026-11-21-02-00-00.zip');
    await pipeline(chunked(data), upload.stream);
    const stored = await upload.complete(data.length);

    expect(stored).toMatchObject({ key: 'app/2026-11-21-02-00-00.zip', size: data.length });
    expect(upload.uploadedBytes).toBe(data.length); // what the progress line shows
    const downloaded = await s3.download('app/2026-11-21-02-00-00.zip');
    expect(downloaded.length).toBe(data.length);
    expect(downloaded.equals(data)).toBe(true);
  });

  it('stores a small single-part archive byte-identically (the checksum trap)', async () => {
    const data = randomBytes(1000);
    const upload = await dest.openUpload('small/one.zip');
    await pipeline(chunked(data), upload.stream);
    await upload.complete(1000);
    const downloaded = await s3.download('small/one.zip');
    expect(downloaded.length).toBe(1000);
    expect(downloaded.equals(data)).toBe(true);
  });

  it('keeps keys under the configured prefix and lists them relative to it', async () => {
    const prefixed = new S3Destination({
      bucket: s3.bucket,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      prefix: 'tenant-a',
    });
    const upload = await prefixed.openUpload('app/x.zip');
    await pipeline(chunked(Buffer.from('hello')), upload.stream);
    await upload.complete(5);
    expect(await s3.listKeys('tenant-a/')).toEqual(['tenant-a/app/x.zip']);
    const listed = [];
    for await (const o of prefixed.list('app/')) listed.push(o.key);
    expect(listed).toEqual(['app/x.zip']);
    prefixed.client.destroy();
  });

  it('deletes the object and throws when the stored size differs from the expected size', async () => {
    const upload = await dest.openUpload('mismatch/a.zip');
    await pipeline(chunked(randomBytes(2000)), upload.stream);
    await expect(upload.complete(2001)).rejects.toBeInstanceOf(UploadSizeMismatchError);
    expect(await s3.listKeys('mismatch/')).toEqual([]);
  });

  it('lists past 1,000 keys with prefix filtering', async () => {
    const keys: string[] = [];
    for (let i = 0; i < 1203; i++) keys.push(`many/${String(i).padStart(5, '0')}.zip`);
    const others = ['many-not/x.zip', 'other/y.zip'];
    // Seeding goes straight to the bucket, a few at a time.
    const all = [...keys, ...others];
    for (let i = 0; i < all.length; i += 50) {
      await Promise.all(all.slice(i, i + 50).map((Key) => s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key, Body: 'x' }))));
    }

    const listed: string[] = [];
    for await (const o of dest.list('many/')) {
      expect(o.size).toBe(1);
      listed.push(o.key);
    }
    expect(listed.sort()).toEqual(keys);
  });

  it('reads an inclusive byte range', async () => {
    const data = randomBytes(10_000);
    const upload = await dest.openUpload('range/r.zip');
    await pipeline(chunked(data), upload.stream);
    await upload.complete(data.length);

    expect((await readAll(await dest.read('range/r.zip', { start: 100, end: 199 }))).equals(data.subarray(100, 200))).toBe(true);
    expect((await readAll(await dest.read('range/r.zip', { start: 9990, end: 9999 }))).equals(data.subarray(9990))).toBe(true);
    expect((await readAll(await dest.read('range/r.zip'))).equals(data)).toBe(true);
    expect(await dest.stat('range/r.zip')).toMatchObject({ key: 'range/r.zip', size: 10_000 });
    expect(await dest.stat('range/missing.zip')).toBeNull();
    await dest.delete('range/r.zip');
    expect(await s3.listKeys('range/')).toEqual([]);
  });

  it('an upload aborted mid-way leaves no object under the key', async () => {
    const upload = await dest.openUpload('aborted/mid.zip');
    // 11 MiB written: two 5 MiB parts are on their way before the abort.
    upload.stream.write(randomBytes(6 * MIB));
    upload.stream.write(randomBytes(5 * MIB));
    await new Promise((r) => setTimeout(r, 300));
    await upload.abort(new Error('dump failed'));
    expect(await s3.listKeys('aborted/')).toEqual([]);
  });

  it('an upload aborted after the bytes were all sent leaves no object either', async () => {
    const upload = await dest.openUpload('aborted/late.zip');
    upload.stream.end(randomBytes(1000));
    // Wait until the single-part PutObject has landed: abort must remove a finished object too.
    for (let i = 0; i < 100 && (await s3.listKeys('aborted/')).length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await s3.listKeys('aborted/')).toEqual(['aborted/late.zip']);
    await upload.abort();
    expect(await s3.listKeys('aborted/')).toEqual([]);
  });

  it('a failed upload (server refuses mid-way) leaves no object and reports a clear error', async () => {
    const proxy = await startS3AuthProxy(s3, { denyAfterBytes: 7 * MIB });
    const viaProxy = new S3Destination({
      bucket: s3.bucket,
      endpoint: proxy.endpoint,
      forcePathStyle: true,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      partSizeMb: 5,
      queueSize: 1,
    });
    try {
      const upload = await viaProxy.openUpload('failed/f.zip');
      const data = randomBytes(12 * MIB);
      // Writing may or may not notice before the end, depending on how far the parts got.
      await pipeline(chunked(data), upload.stream).catch(() => undefined);
      expect(proxy.forwardedBytes()).toBeGreaterThanOrEqual(7 * MIB);
      await expect(upload.complete(data.length)).rejects.toThrow(/access denied \(AccessDenied\)/);
      await upload.abort();
      expect(await s3.listKeys('failed/')).toEqual([]);
    } finally {
      viaProxy.client.destroy();
      await proxy.stop();
    }
  });

  it('checkReachable passes on a working bucket', async () => {
    await expect(dest.checkReachable()).resolves.toBeUndefined();
  });

  it('an unreachable endpoint fails fast with a clear message', async () => {
    const port = await closedPort();
    const dead = new S3Destination({
      bucket: s3.bucket,
      endpoint: `http://127.0.0.1:${port}`,
      forcePathStyle: true,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: 'a-secret-that-must-not-leak',
    });
    const started = Date.now();
    const err = await dead.checkReachable().catch((e) => e);
    const tookMs = Date.now() - started;
    expect(err).toBeInstanceOf(DestinationUnreachableError);
    expect(err.message).toContain(`cannot reach S3 endpoint http://127.0.0.1:${port}`);
    expect(err.message).toContain('check AWS_ENDPOINT');
    expect(err.message).not.toContain('a-secret-that-must-not-leak');
    // Not a speed assertion: the SDK default would retry for minutes with no connect timeout.
    expect(tookMs).toBeLessThan(30_000);
    dead.client.destroy();
  });

  it('a wrong access key id gives the clear message and never the secret', async () => {
    const wrong = new S3Destination({
      bucket: s3.bucket,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      accessKeyId: 'AKIAWRONGKEY',
      secretAccessKey: 'wrong-secret-do-not-print',
    });
    const err = await wrong.checkReachable().catch((e) => e);
    expect(err).toBeInstanceOf(DestinationUnreachableError);
    expect(err.message).toContain('the S3 access key was refused (InvalidAccessKeyId)');
    expect(err.message).toContain('check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY');
    expect(err.message).not.toContain('wrong-secret-do-not-print');
    wrong.client.destroy();
  });

  it('a wrong secret (right key id) is refused through the signature-checking proxy', async () => {
    const proxy = await startS3AuthProxy(s3);
    const good = new S3Destination({
      bucket: s3.bucket,
      endpoint: proxy.endpoint,
      forcePathStyle: true,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
    });
    const bad = new S3Destination({
      bucket: s3.bucket,
      endpoint: proxy.endpoint,
      forcePathStyle: true,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: 'not-the-secret-123',
    });
    try {
      await expect(good.checkReachable()).resolves.toBeUndefined();
      const err = await bad.checkReachable().catch((e) => e);
      expect(err).toBeInstanceOf(DestinationUnreachableError);
      expect(err.message).toContain('SignatureDoesNotMatch');
      expect(err.message).toContain('check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY');
      expect(err.message).not.toContain('not-the-secret-123');
    } finally {
      good.client.destroy();
      bad.client.destroy();
      await proxy.stop();
    }
  });

  it('a missing bucket is named in the error', async () => {
    const missing = new S3Destination({
      bucket: 'no-such-bucket',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
    });
    const err = await missing.checkReachable().catch((e) => e);
    expect(err).toBeInstanceOf(DestinationUnreachableError);
    expect(err.message).toContain('the bucket "no-such-bucket" does not exist');
    expect(err.message).toContain('check AWS_BUCKET');
    missing.client.destroy();
  });
});

/**
 * The same destination against moto's S3 server (moto_server on PATH), which implements what
 * s3rver lacks: multipart upload listing and abort, and bucket lifecycle rules.
 */
describe('S3Destination against moto_server', () => {
  let s3: TestS3Server;
  let dest: S3Destination;

  beforeAll(async () => {
    s3 = await startMotoServer();
    dest = new S3Destination({
      bucket: s3.bucket,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      partSizeMb: 5,
      queueSize: 2,
    });
  }, 60_000);
  afterAll(async () => {
    dest?.client.destroy();
    await s3?.stop();
  });

  it('streams a 12 MiB multipart archive byte-identically and reads ranges of it', async () => {
    const data = randomBytes(12 * MIB);
    const upload = await dest.openUpload('app/2026-11-21-02-00-00.zip');
    await pipeline(chunked(data), upload.stream);
    await upload.complete(data.length);
    expect((await s3.download('app/2026-11-21-02-00-00.zip')).equals(data)).toBe(true);
    const range = await readAll(await dest.read('app/2026-11-21-02-00-00.zip', { start: 5 * MIB - 10, end: 5 * MIB + 9 }));
    expect(range.equals(data.subarray(5 * MIB - 10, 5 * MIB + 10))).toBe(true);
  });

  it('an upload aborted mid-way leaves neither an object nor an incomplete upload (its parts are gone)', async () => {
    const upload = await dest.openUpload('aborted/mid.zip');
    upload.stream.write(randomBytes(6 * MIB));
    upload.stream.write(randomBytes(5 * MIB));
    for (let i = 0; i < 100 && (await dest.listIncompleteUploads('aborted/')).every((u) => u.parts === 0); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await dest.listIncompleteUploads('aborted/'))[0]?.parts).toBeGreaterThan(0);
    await upload.abort(new Error('dump failed'));
    expect(await s3.listKeys('aborted/')).toEqual([]);
    expect(await dest.listIncompleteUploads('aborted/')).toEqual([]);
  });

  it('lists an incomplete upload with its parts and bytes, and aborts it', async () => {
    const { UploadId } = await s3.client.send(new CreateMultipartUploadCommand({ Bucket: s3.bucket, Key: 'dead/2026-01-01-00-00-00.zip' }));
    for (const n of [1, 2]) {
      await s3.client.send(
        new UploadPartCommand({
          Bucket: s3.bucket,
          Key: 'dead/2026-01-01-00-00-00.zip',
          UploadId,
          PartNumber: n,
          Body: randomBytes(5 * MIB),
        }),
      );
    }
    const [found, ...rest] = await dest.listIncompleteUploads('dead/');
    expect(rest).toEqual([]);
    expect(found).toMatchObject({ key: 'dead/2026-01-01-00-00-00.zip', uploadId: UploadId, parts: 2, bytes: 10 * MIB });
    await dest.abortIncompleteUpload(found);
    expect(await dest.listIncompleteUploads('dead/')).toEqual([]);
  });

  it('reads whether the bucket lifecycle aborts incomplete uploads', async () => {
    expect(await dest.abortsIncompleteUploads('app/')).toBe(false);
    await s3.client.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: s3.bucket,
        LifecycleConfiguration: {
          Rules: [
            { ID: 'other', Status: 'Enabled', Filter: { Prefix: 'logs/' }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
          ],
        },
      }),
    );
    expect(await dest.abortsIncompleteUploads('app/')).toBe(false); // a rule for another folder
    await s3.client.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: s3.bucket,
        LifecycleConfiguration: {
          Rules: [{ ID: 'all', Status: 'Enabled', Filter: { Prefix: '' }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }],
        },
      }),
    );
    expect(await dest.abortsIncompleteUploads('app/')).toBe(true);
  });
});
