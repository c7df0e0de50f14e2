import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { createDestination } from '../../libs/backup/src/destinations/destination.factory';
import { fanOut } from '../../libs/backup/src/destinations/fan-out';
import { S3Destination } from '../../libs/backup/src/destinations/s3.destination';
import { startS3AuthProxy, startS3Server, TestS3Server } from '../support/s3.server';

const MIB = 1024 * 1024;

/** 12 MiB of random bytes produced chunk by chunk, as an archiver would. */
function archiveLike(total: number): { stream: Readable; sha256: () => string } {
  const hash = createHash('sha256');
  let sent = 0;
  const stream = new Readable({
    read() {
      if (sent >= total) return this.push(null);
      const chunk = randomBytes(Math.min(256 * 1024, total - sent));
      sent += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, sha256: () => hash.digest('hex') };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('fanOut to a local folder and s3rver at once', () => {
  let s3: TestS3Server;
  let root: string;

  beforeAll(async () => {
    s3 = await startS3Server();
  });
  afterAll(async () => {
    await s3.stop();
  });
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'fan-out-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('stores byte-identical copies on both', async () => {
    const local = createDestination({ kind: 'local', root });
    const s3dest = createDestination({
      kind: 's3',
      bucket: s3.bucket,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      partSizeMb: 5,
    }) as S3Destination;
    const key = 'app/2026-11-21-02-00-00.zip';
    const source = archiveLike(12 * MIB);
    const uploads = [await local.openUpload(key), await s3dest.openUpload(key)];

    const results = await fanOut(source.stream, uploads);
    expect(results.map((r) => [r.destination, r.ok, r.bytes])).toEqual([
      ['local', true, 12 * MIB],
      ['s3', true, 12 * MIB],
    ]);
    for (const u of uploads) await u.complete(12 * MIB);

    const expected = source.sha256();
    const onDisk = await readFile(path.join(root, 'app', '2026-11-21-02-00-00.zip'));
    const inBucket = await s3.download(key);
    expect(onDisk.length).toBe(12 * MIB);
    expect(inBucket.length).toBe(12 * MIB);
    expect(sha(onDisk)).toBe(expected);
    expect(sha(inBucket)).toBe(expected);
    s3dest.client.destroy();
  });

  it('completes the local copy and reports S3 failing mid-way, leaving nothing in the bucket', async () => {
    // The proxy starts refusing everything once 6 MiB of request bodies went through.
    const proxy = await startS3AuthProxy(s3, { denyAfterBytes: 6 * MIB });
    const local = createDestination({ kind: 'local', root });
    const s3dest = createDestination({
      kind: 's3',
      bucket: s3.bucket,
      endpoint: proxy.endpoint,
      forcePathStyle: true,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      partSizeMb: 5,
      queueSize: 1,
    }) as S3Destination;
    try {
      const key = 'app/2026-11-21-03-00-00.zip';
      const source = archiveLike(16 * MIB);
      const uploads = [await local.openUpload(key), await s3dest.openUpload(key)];

      const [localResult, s3Result] = await fanOut(source.stream, uploads);

      expect(localResult).toMatchObject({ destination: 'local', ok: true, bytes: 16 * MIB });
      expect(s3Result.destination).toBe('s3');
      expect(s3Result.ok).toBe(false);
      expect(s3Result.error?.message).toContain('access denied (AccessDenied)');
      expect(s3Result.error?.message).not.toContain(s3.secretAccessKey + '@');
      expect(s3Result.bytes).toBeLessThan(16 * MIB);

      await uploads[0].complete(16 * MIB);
      const onDisk = await readFile(path.join(root, 'app', '2026-11-21-03-00-00.zip'));
      expect(sha(onDisk)).toBe(source.sha256());
      expect(await readdir(path.join(root, 'app'))).toEqual(['2026-11-21-03-00-00.zip']);
      expect(await s3.listKeys('app/2026-11-21-03')).toEqual([]);
    } finally {
      s3dest.client.destroy();
      await proxy.stop();
    }
  });
});
