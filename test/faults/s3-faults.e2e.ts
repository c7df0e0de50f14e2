/**
 * Fault class "s3": the demo CLI (a real process) backs up to the local disk and to s3rver at
 * once, through a TCP proxy that breaks the S3 traffic on purpose (test/support/faulty-proxy.ts):
 * a connection reset in the middle of a part, an HTTP 500 on one part, a stall longer than the
 * run's time limit. Either the run recovers (a part is retried, BACKUP_S3_RETRIES times; BACKUP_TRIES
 * retries the whole run) and the bucket holds exactly one complete object, byte-identical to the
 * local copy and readable by 7-Zip, or the run fails with exit 1, an error that names the S3
 * failure, and no object under the backup's name. Further down: the same class against moto
 * (a killed run's incomplete upload), a server frozen with SIGSTOP, and a web server as endpoint.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { runCli, spawnCli, tempAppDir } from '../support/cli';
import { FaultyProxy, isPartUpload, isUpload, startFaultyProxy } from '../support/faulty-proxy';
import { ListMultipartUploadsCommand, ListPartsCommand, PutBucketLifecycleConfigurationCommand } from '@aws-sdk/client-s3';
import { Proc } from '../schedule/instances.fixtures';
import { startMotoServer, startS3Server, TestS3Server } from '../support/s3.server';
import { testWith7z } from '../support/seven-zip';
import { backupFolderFiles, baseEnv, faultCase, faultClass, PASSWORD, partFiles, s3Env, writeRandomFile } from './faults.fixtures';

const tally = faultClass('s3');

describe('fault class s3: a TCP proxy breaks the S3 traffic of backup:run', () => {
  let s3: TestS3Server;
  let proxy: FaultyProxy;
  let app: ReturnType<typeof tempAppDir>;

  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'backups' });
    proxy = await startFaultyProxy(s3.endpoint);
    app = tempAppDir('nest-backup-s3-faults-');
    const seeded = await runCli(['demo:seed', '--tenants', '2', '--rows', '3'], baseEnv('seed'), app.dir);
    expect(seeded.code).toBe(0);
    // 12 MiB of random bytes, stored (level 0): three 5 MiB parts, so a multipart upload.
    writeRandomFile(path.join(app.dir, 'storage/app/big.bin'), 12 * 1024 * 1024);
  });

  afterEach(() => proxy?.disarm());
  afterAll(async () => {
    await proxy?.stop();
    await s3?.stop();
    app?.cleanup();
  });

  const envFor = (name: string, extra: Record<string, string> = {}) =>
    baseEnv(name, {
      ...s3Env(proxy.endpoint, s3),
      BACKUP_DISKS: 'local,s3',
      BACKUP_INCLUDE: 'storage/app',
      BACKUP_COMPRESSION_LEVEL: '0',
      BACKUP_S3_PART_SIZE_MB: '5',
      ...extra,
    });

  /** A recovered run: exactly one object, the same bytes as the local archive, 7-Zip tests it. */
  async function expectOneCompleteObject(name: string): Promise<void> {
    const keys = await s3.listKeys(`${name}/`);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(new RegExp(`^${name}/\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{2}\\.zip$`));
    const local = path.join(app.dir, 'storage/backups', keys[0]);
    expect(backupFolderFiles(app.dir).filter((f) => f.startsWith(`${name}/`))).toEqual([keys[0]]);
    const stored = await s3.download(keys[0]);
    expect(stored.length).toBe(fs.statSync(local).size);
    expect(stored.equals(fs.readFileSync(local))).toBe(true);
    const tested = await testWith7z(local, PASSWORD);
    expect(tested.code).toBe(0);
    expect(tested.stdout).toMatch(/Everything is Ok/);
  }

  /** A failed S3 upload: nothing in the bucket under the name, no temporary file on the local disk. */
  async function expectNoObject(name: string): Promise<void> {
    expect(await s3.listKeys(`${name}/`)).toEqual([]);
    expect(partFiles(path.join(app.dir, 'storage/backups'))).toEqual([]);
  }

  faultCase(tally, 'connection reset after 1 MiB of part 2: the part is retried, one complete byte-identical object', async () => {
    const name = 's3f-reset-once';
    const fault = proxy.arm({
      fault: { kind: 'reset', afterBytes: 1 << 20 },
      match: (r) => isPartUpload(r) && /partNumber=2\b/.test(r.path),
    });
    const run = await runCli(['backup:run'], envFor(name), app.dir);
    expect(fault.hits).toHaveLength(1);
    expect(run.stderr).not.toMatch(/FAILED/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/✔ s3: /);
    await expectOneCompleteObject(name);
  });

  faultCase(tally, 'HTTP 500 on part 1: the part is retried, one complete byte-identical object', async () => {
    const name = 's3f-500-once';
    const fault = proxy.arm({ fault: { kind: 'status', status: 500 }, match: (r) => isPartUpload(r) && /partNumber=1\b/.test(r.path) });
    const run = await runCli(['backup:run'], envFor(name), app.dir);
    expect(fault.hits).toHaveLength(1);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/✔ s3: /);
    await expectOneCompleteObject(name);
  });

  faultCase(
    tally,
    'every upload request reset mid-body: exit 1, the error names the S3 failure, no object, local copy complete',
    async () => {
      const name = 's3f-reset-always';
      const fault = proxy.arm({ fault: { kind: 'reset', afterBytes: 64 * 1024 }, match: isUpload, times: 1000 });
      const run = await runCli(['backup:run'], envFor(name), app.dir);
      expect(fault.hits.length).toBeGreaterThanOrEqual(3); // the SDK's attempts, all broken
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/✘ s3: .*(ECONNRESET|socket hang up|EPIPE|reset|network)/i);
      expect(run.stderr).toMatch(/Backup FAILED .*nothing was kept on the disks marked ✘/);
      await expectNoObject(name);
      // The other disk is not hurt by the S3 failure: its archive is complete.
      const local = backupFolderFiles(app.dir).filter((f) => f.startsWith(`${name}/`));
      expect(local).toHaveLength(1);
      expect((await testWith7z(path.join(app.dir, 'storage/backups', local[0]), PASSWORD)).code).toBe(0);
    },
  );

  faultCase(tally, 'HTTP 500 on every part: exit 1, the error names the 500 / InternalError, no object', async () => {
    const name = 's3f-500-always';
    const fault = proxy.arm({ fault: { kind: 'status', status: 500 }, match: isPartUpload, times: 1000 });
    const run = await runCli(['backup:run', '--only-to-disk', 's3'], envFor(name), app.dir);
    expect(fault.hits.length).toBeGreaterThanOrEqual(3);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/✘ s3: .*(500|InternalError)/);
    await expectNoObject(name);
    expect(backupFolderFiles(app.dir).filter((f) => f.startsWith(`${name}/`))).toEqual([]);
  });

  faultCase(
    tally,
    'a part upload stalls past BACKUP_TIMEOUT=3: the run is stopped, exit 1, "took longer", no object, no .part',
    async () => {
      const name = 's3f-stall';
      const fault = proxy.arm({ fault: { kind: 'stall' }, match: isPartUpload, times: 1000 });
      const run = await runCli(['backup:run'], envFor(name, { BACKUP_TIMEOUT: '3' }), app.dir, 60_000);
      expect(fault.hits.length).toBeGreaterThanOrEqual(1);
      expect(run.code).toBe(1);
      expect(run.stdout + run.stderr).toMatch(/took longer than 3 s and was stopped/);
      await expectNoObject(name);
      // The timeout stops the whole attempt: the local disk keeps nothing either.
      expect(backupFolderFiles(app.dir).filter((f) => f.startsWith(`${name}/`))).toEqual([]);
    },
  );

  faultCase(tally, 'a stall on the first attempt, BACKUP_TRIES=2: the second attempt succeeds, exactly one complete object', async () => {
    const name = 's3f-stall-retry';
    const fault = proxy.arm({ fault: { kind: 'stall' }, match: isPartUpload, times: 1 });
    const run = await runCli(
      ['backup:run'],
      envFor(name, { BACKUP_TIMEOUT: '3', BACKUP_TRIES: '2', BACKUP_RETRY_DELAY: '1' }),
      app.dir,
      60_000,
    );
    expect(fault.hits).toHaveLength(1);
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).toMatch(/attempt 1.*(failed|took longer)/i);
    await expectOneCompleteObject(name);
  });
});

/** The incomplete multipart uploads in the bucket under `prefix`, with their parts' bytes. */
async function incompleteUploads(s3: TestS3Server, prefix: string): Promise<Array<{ key: string; parts: number; bytes: number }>> {
  const page = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: prefix }));
  const out: Array<{ key: string; parts: number; bytes: number }> = [];
  for (const u of page.Uploads ?? []) {
    const parts = await s3.client.send(new ListPartsCommand({ Bucket: s3.bucket, Key: u.Key, UploadId: u.UploadId }));
    out.push({ key: u.Key!, parts: parts.Parts?.length ?? 0, bytes: (parts.Parts ?? []).reduce((n, p) => n + (p.Size ?? 0), 0) });
  }
  return out;
}

/**
 * The same class against moto's S3 server (moto_server on PATH), which implements what s3rver
 * does not: ListMultipartUploads, ListParts and AbortMultipartUpload.
 */
describe('fault class s3 (moto_server): what a killed run leaves in the bucket', () => {
  let s3: TestS3Server;
  let app: ReturnType<typeof tempAppDir>;

  beforeAll(async () => {
    s3 = await startMotoServer({ bucket: 'backups' });
    app = tempAppDir('nest-backup-s3-moto-');
    const seeded = await runCli(['demo:seed', '--tenants', '2', '--rows', '3'], baseEnv('seed'), app.dir);
    expect(seeded.code).toBe(0);
    // 40 MiB stored: eight 5 MiB parts, so the run can be killed with parts in the bucket.
    writeRandomFile(path.join(app.dir, 'storage/app/big.bin'), 40 * 1024 * 1024);
  }, 60_000);
  afterAll(async () => {
    await s3?.stop();
    app?.cleanup();
  });

  faultCase(
    tally,
    "kill -9 mid-upload, then the next run: it aborts the dead run's incomplete upload and says so, nothing stays billed",
    async () => {
      const name = 's3f-killed';
      const env = baseEnv(name, {
        ...s3Env(s3.endpoint, s3),
        BACKUP_DISKS: 's3',
        BACKUP_INCLUDE: 'storage/app',
        BACKUP_COMPRESSION_LEVEL: '0',
        BACKUP_S3_PART_SIZE_MB: '5',
      });
      const proc = new Proc(spawnCli(['backup:run'], env, app.dir));
      let left: Array<{ key: string; parts: number; bytes: number }> = [];
      try {
        const until = Date.now() + 90_000;
        while (!left.some((u) => u.parts >= 2)) {
          if (Date.now() > until || proc.child.exitCode !== null) throw new Error(`no 2 parts uploaded before the run ended:\n${proc.out}`);
          await new Promise((r) => setTimeout(r, 100));
          left = await incompleteUploads(s3, `${name}/`);
        }
        proc.child.kill('SIGKILL');
        expect((await proc.exited).signal).toBe('SIGKILL');
      } finally {
        await proc.stop('SIGKILL');
      }
      // What the killed run left: an incomplete upload with its parts (billed on AWS), no object.
      // A part it had sent just before it died may still be landing: wait until the listing settles.
      for (let settled = false; !settled;) {
        await new Promise((r) => setTimeout(r, 750));
        const again = await incompleteUploads(s3, `${name}/`);
        settled = JSON.stringify(again) === JSON.stringify(left);
        left = again;
      }
      expect(left).toHaveLength(1);
      expect(left[0].parts).toBeGreaterThanOrEqual(2);
      expect(await s3.listKeys(`${name}/`)).toEqual([]);
      const [dead] = left;

      // backup:list shows the incomplete upload and its bytes; backup:monitor warns that no
      // lifecycle rule aborts such uploads, and stops warning once the README's rule is set.
      const listed = await runCli(['backup:list', '--json'], env, app.dir);
      const row = (JSON.parse(listed.stdout) as Array<Record<string, unknown>>).find((r) => r.disk === 's3')!;
      expect(row.incompleteUploadBytes).toBe(dead.bytes);
      expect(row.incompleteUploads).toEqual([expect.objectContaining({ key: dead.key, parts: dead.parts, bytes: dead.bytes })]);
      expect((await runCli(['backup:list'], env, app.dir)).stdout).toMatch(
        /s3: 1 incomplete upload\(s\) hold [\d.]+ MB not counted as backups/,
      );
      const monitored = await runCli(['backup:monitor'], env, app.dir);
      expect(monitored.stdout).toMatch(/s3f-killed\/\S+\.zip: \d+ part\(s\)/);
      expect(monitored.stdout).toMatch(/no lifecycle rule that aborts incomplete multipart uploads \(AbortIncompleteMultipartUpload\)/);
      await s3.client.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: s3.bucket,
          LifecycleConfiguration: {
            Rules: [
              {
                ID: 'abort-incomplete-uploads',
                Status: 'Enabled',
                Filter: { Prefix: '' },
                AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
              },
            ],
          },
        }),
      );
      expect((await runCli(['backup:monitor'], env, app.dir)).stdout).not.toMatch(/no lifecycle rule/);

      const again = await runCli(['backup:run'], env, app.dir, 180_000);
      expect(again.code).toBe(0);
      const said = new RegExp(`Aborted 1 incomplete upload left by a dead run on s3: ${dead.key} \\(${dead.parts} parts, [\\d.]+ MB\\)`);
      expect(again.stdout + again.stderr).toMatch(said);
      expect(await incompleteUploads(s3, `${name}/`)).toEqual([]);
      const keys = await s3.listKeys(`${name}/`);
      expect(keys).toHaveLength(1);
      const after = JSON.parse((await runCli(['backup:list', '--json'], env, app.dir)).stdout) as Array<Record<string, unknown>>;
      expect(after[0]).toMatchObject({ count: 1, incompleteUploads: [], incompleteUploadBytes: 0 });
    },
    300_000,
  );
});

/**
 * A server that stops answering, and an endpoint that is no S3 at all. Each case gives the CLI
 * 60 s: with the old code a frozen server held a run for minutes (510 s measured: the socket's
 * 60 s idle timeout on every SDK attempt of every part), so these fail there by timing out.
 */
describe('fault class s3: a frozen server and a non-S3 endpoint', () => {
  let s3: TestS3Server;
  let proxy: FaultyProxy;
  let app: ReturnType<typeof tempAppDir>;
  let web: http.Server;
  let webEndpoint: string;

  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'backups' });
    proxy = await startFaultyProxy(s3.endpoint);
    app = tempAppDir('nest-backup-s3-stall-');
    const seeded = await runCli(['demo:seed', '--tenants', '2', '--rows', '3'], baseEnv('seed'), app.dir);
    expect(seeded.code).toBe(0);
    writeRandomFile(path.join(app.dir, 'storage/app/big.bin'), 12 * 1024 * 1024);
    web = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html>\n<html><head><meta charset="utf-8"><title>Welcome</title></head><body><p>It works!</body></html>');
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    webEndpoint = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
  });
  afterEach(() => {
    proxy?.disarm();
    if (proxy) proxy.onRequest = undefined;
    s3?.resume();
  });
  afterAll(async () => {
    s3?.resume();
    await proxy?.stop();
    await s3?.stop();
    await new Promise<void>((resolve) => (web ? web.close(() => resolve()) : resolve()));
    app?.cleanup();
  });

  const envFor = (name: string, extra: Record<string, string> = {}) =>
    baseEnv(name, {
      ...s3Env(proxy.endpoint, s3),
      BACKUP_DISKS: 's3',
      BACKUP_INCLUDE: 'storage/app',
      BACKUP_COMPRESSION_LEVEL: '0',
      BACKUP_S3_PART_SIZE_MB: '5',
      BACKUP_S3_STALL_SECONDS: '2',
      BACKUP_S3_RETRIES: '1',
      ...extra,
    });

  faultCase(tally, 'server frozen (SIGSTOP) mid-upload: the run fails in seconds naming the stall and the setting, no object', async () => {
    const name = 's3f-frozen';
    // Frozen as the first part's headers reach the proxy, before any of it is forwarded: polling
    // for the part instead let a fast run finish every part first (then Complete met the freeze).
    let frozen = false;
    proxy.onRequest = (r) => {
      if (frozen || !isPartUpload(r)) return;
      frozen = true;
      s3.freeze();
    };
    const proc = new Proc(spawnCli(['backup:run'], envFor(name), app.dir));
    try {
      await proc.waitFor(() => frozen, 'the first part upload', 60_000);
      // The run must end while the server is still frozen: nothing but the stall ends it.
      const until = Date.now() + 60_000;
      while (proc.child.exitCode === null && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      expect(proc.child.exitCode).toBe(1);
    } finally {
      s3.resume();
      await proc.stop('SIGKILL');
    }
    expect(proc.out).toMatch(
      /uploading part \d+ of s3f-frozen\/\S+\.zip stalled: the S3 server at http:\/\/127\.0\.0\.1:\d+ moved no byte for 2 s, 2 times in a row/,
    );
    expect(proc.out).toMatch(/raise BACKUP_S3_STALL_SECONDS \(now 2\) or BACKUP_S3_RETRIES \(now 1\)/);
    // The retry is said while it happens, not only the final failure.
    expect(proc.out).toMatch(/uploading part \d+ of s3f-frozen\/\S+\.zip moved no byte for 2 s; trying again in 1 s \(retry 1 of 1\)/);
    expect(await s3.listKeys(`${name}/`)).toEqual([]);
  });

  /** CompleteMultipartUpload: `POST …?uploadId=…`; CreateMultipartUpload: `POST …?uploads`. */
  const isComplete = (r: { method: string; path: string }) => r.method === 'POST' && /[?&]uploadId=/.test(r.path);
  const isStart = (r: { method: string; path: string }) => r.method === 'POST' && /[?&]uploads(=|&|$)/.test(r.path);

  faultCase(
    tally,
    'no answer to CompleteMultipartUpload: the run fails in seconds naming the stall and the setting, no object',
    async () => {
      const name = 's3f-complete';
      const fault = proxy.arm({ fault: { kind: 'stall' }, match: isComplete, times: 1000 });
      const started = Date.now();
      const run = await runCli(['backup:run'], envFor(name), app.dir, 60_000);
      expect(fault.hits).toHaveLength(2); // the first try and BACKUP_S3_RETRIES=1 more
      expect(run.code).toBe(1);
      // 2 s per try and 1 s of backoff, not the socket's 60 s idle timeout on each SDK attempt.
      expect(Date.now() - started).toBeLessThan(45_000);
      expect(run.stdout + run.stderr).toMatch(
        /completing the upload of s3f-complete\/\S+\.zip stalled: the S3 server at http:\/\/127\.0\.0\.1:\d+ moved no byte for 2 s, 2 times in a row/,
      );
      expect(run.stdout + run.stderr).toMatch(/raise BACKUP_S3_STALL_SECONDS \(now 2\)/);
      expect(await s3.listKeys(`${name}/`)).toEqual([]);
    },
  );

  faultCase(
    tally,
    'no answer to the first CreateMultipartUpload and CompleteMultipartUpload: each is tried again, one complete object',
    async () => {
      const name = 's3f-control-retry';
      const start = proxy.arm({ fault: { kind: 'stall' }, match: isStart, times: 1 });
      const complete = proxy.arm({ fault: { kind: 'stall' }, match: isComplete, times: 1 });
      const run = await runCli(['backup:run'], envFor(name), app.dir, 60_000);
      expect([start.hits.length, complete.hits.length]).toEqual([1, 1]);
      expect(run.code).toBe(0);
      expect(run.stdout + run.stderr).toMatch(
        /starting the upload of s3f-control-retry\/\S+\.zip moved no byte for 2 s; trying again in 1 s \(retry 1 of 1\)/,
      );
      expect(run.stdout + run.stderr).toMatch(
        /completing the upload of s3f-control-retry\/\S+\.zip moved no byte for 2 s; trying again in 1 s \(retry 1 of 1\)/,
      );
      const keys = await s3.listKeys(`${name}/`);
      expect(keys).toHaveLength(1);
      const copy = path.join(app.dir, 'downloaded.zip');
      fs.writeFileSync(copy, await s3.download(keys[0]));
      const tested = await testWith7z(copy, PASSWORD);
      expect(tested.stdout).toMatch(/Everything is Ok/);
      expect(tested.code).toBe(0);
    },
  );

  const isObjectRead = (r: { method: string; path: string }) => r.method === 'GET' && /\.zip(\?|$)/.test(r.path);

  faultCase(
    tally,
    'ranged reads stall during backup:verify: a stall is retried and it passes; stalls every time fail naming the stall',
    async () => {
      const name = 's3f-read-stall';
      const env = envFor(name);
      const run = await runCli(['backup:run'], env, app.dir);
      expect(run.code).toBe(0);

      const once = proxy.arm({ fault: { kind: 'stall' }, match: isObjectRead, times: 1 });
      const recovered = await runCli(['backup:verify', '--latest'], env, app.dir, 60_000);
      expect(once.hits).toHaveLength(1);
      expect(recovered.stderr).not.toMatch(/stalled/);
      expect(recovered.code).toBe(0);
      proxy.disarm();

      const always = proxy.arm({ fault: { kind: 'stall' }, match: isObjectRead, times: 1000 });
      const failed = await runCli(['backup:verify', '--latest'], env, app.dir, 60_000);
      expect(always.hits.length).toBeGreaterThanOrEqual(2);
      expect(failed.code).toBe(1);
      expect(failed.stderr).not.toMatch(/truncated/);
      expect(failed.stdout + failed.stderr).toMatch(
        /reading s3f-read-stall\/\S+\.zip stalled: the S3 server at http:\/\/127\.0\.0\.1:\d+ moved no byte for 2 s/,
      );
    },
  );

  faultCase(tally, 'an endpoint that is a web server: the error says it answered with something that is not S3, and what', async () => {
    const name = 's3f-not-s3';
    const env = { ...envFor(name), AWS_ENDPOINT: webEndpoint };
    const run = await runCli(['backup:run'], env, app.dir, 60_000);
    expect(run.code).toBe(1);
    const said = `the endpoint at ${webEndpoint} answered with something that is not S3 (text/html, HTTP 200, starts with '<!doctype html>`;
    expect(run.stderr).toContain(said);
    expect(run.stderr).toMatch(/check AWS_ENDPOINT/);
    const listed = await runCli(['backup:list'], env, app.dir, 60_000);
    expect(listed.code).toBe(1);
    expect(listed.stdout + listed.stderr).toContain(said);
  });
});
