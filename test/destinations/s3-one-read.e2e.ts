/**
 * One read per restore (issue 18): a files restore from S3 checks every entry while it writes it
 * under a temporary name, so it downloads the archive once, not once to verify and again to
 * write. Measured at the S3 server's door: the response bytes through a proxy in front of s3rver.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempAppDir } from '../support/cli';
import { S3AuthProxy, startS3AuthProxy, startS3Server, TestS3Server } from '../support/s3.server';
import { baseEnv, s3Env, writeRandomFile } from '../faults/faults.fixtures';

const MIB = 1024 * 1024;

describe('a restore from S3 reads the archive once', () => {
  let s3: TestS3Server;
  let proxy: S3AuthProxy;
  let app: { dir: string; cleanup: () => void };
  let env: Record<string, string>;

  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'one-read' });
    proxy = await startS3AuthProxy(s3);
    app = tempAppDir('nbt-one-read-');
    // Incompressible, so the archive is as large as the files: 36 MiB in 4 large files (one of
    // them long enough to be read as several ranged GETs at once) and 400 small ones.
    for (let i = 0; i < 3; i++) writeRandomFile(join(app.dir, `storage/app/big-${i}.bin`), 4 * MIB);
    writeRandomFile(join(app.dir, 'storage/app/huge.bin'), 24 * MIB + 12345);
    for (let i = 0; i < 400; i++) writeRandomFile(join(app.dir, `storage/app/uploads/${i % 7}/u-${i}.bin`), 1024 + ((i * 7919) % 16384));
    env = baseEnv('one-read', { ...s3Env(proxy.endpoint, s3), BACKUP_DISKS: 's3', BACKUP_INCLUDE: 'storage/app' });
    const run = await runCli(['backup:run', '--only-files'], env, app.dir);
    expect(run.code).toBe(0);
  }, 300_000);

  afterAll(async () => {
    await proxy?.stop();
    await s3?.stop();
    app?.cleanup();
  });

  it("backup:restore --only-files --files-to downloads about the archive's size, not twice it, and restores every byte", async () => {
    const keys = await s3.listKeys('one-read/');
    expect(keys).toHaveLength(1);
    const archiveBytes = (await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: keys[0] }))).ContentLength!;
    expect(archiveBytes).toBeGreaterThan(36 * MIB);

    const before = proxy.returnedBytes();
    const restored = await runCli(['backup:restore', '--latest', '--only-files', '--files-to', 'restored', '--force'], env, app.dir);
    expect(restored.code).toBe(0);
    const downloaded = proxy.returnedBytes() - before;
    // One pass over the entries plus the central directory, the manifest and a few header reads.
    expect(downloaded).toBeGreaterThanOrEqual(archiveBytes * 0.95);
    expect(downloaded).toBeLessThan(archiveBytes * 1.15);
    // The 24 MiB file came as 2 MiB pieces, BACKUP_S3_READ_CONCURRENCY (default 4) at a time.
    expect(proxy.peakConcurrentLargeRangedGets()).toBeGreaterThanOrEqual(2);
    expect(proxy.peakConcurrentLargeRangedGets()).toBeLessThanOrEqual(4);

    for (const rel of ['huge.bin', 'big-0.bin', 'big-2.bin', 'uploads/3/u-3.bin', 'uploads/0/u-399.bin', 'uploads/6/u-398.bin']) {
      expect(readFileSync(join(app.dir, 'restored/storage/app', rel)).equals(readFileSync(join(app.dir, 'storage/app', rel)))).toBe(true);
    }
  }, 300_000);
});
