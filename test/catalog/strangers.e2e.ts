/**
 * Fault class "catalog": strangers in the backup folder (issue 18). The demo CLI (a real
 * process) backs up to the local disk and to s3rver, then objects this app never wrote are put
 * beside the backup on both disks: a 3-byte object named for 2099, a 24-byte date-named file
 * that is no ZIP, objects under a foreign prefix. `backup:list`, `backup:monitor` and
 * `backup:clean` (with BACKUP_MAX_COUNT=1) must never count them, take them for the newest
 * backup, keep them in place of the real one or delete them. Also: `backup:list` exits non-zero
 * when a disk cannot be listed, and a failed `backup:run` prints its failure once, with its hint.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { listFiles, runCli, tempAppDir } from '../support/cli';
import { startS3Server, TestS3Server } from '../support/s3.server';
import { faultCase, faultClass, PASSWORD, s3Env } from '../faults/faults.fixtures';

const tally = faultClass('catalog');
const HOUR = 3_600_000;

/** The UTC stamp backup names carry. */
const stamp = (d: Date) => d.toISOString().slice(0, 19).replace(/[T:]/g, '-');

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** How often `needle` occurs in `text`. */
const occurrences = (text: string, needle: string) => text.split(needle).length - 1;

describe('fault class catalog: strangers in the backup folder, on the local disk and s3rver', () => {
  let s3: TestS3Server;
  let app: ReturnType<typeof tempAppDir>;
  const store = () => path.join(app.dir, 'store');

  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'backups' });
    app = tempAppDir('nest-backup-strangers-');
    fs.mkdirSync(path.join(app.dir, 'files'));
    fs.writeFileSync(path.join(app.dir, 'files/a.txt'), 'the data a backup holds\n');
  });
  afterAll(async () => {
    await s3?.stop();
    app?.cleanup();
  });

  const envFor = (name: string, extra: Record<string, string> = {}) => ({
    BACKUP_NAME: name,
    BACKUP_DISKS: 'local,s3',
    BACKUP_LOCAL_ROOT: store(),
    BACKUP_ARCHIVE_PASSWORD: PASSWORD,
    BACKUP_DATABASES: 'none',
    BACKUP_INCLUDE: 'files',
    BACKUP_FAILURE_NOTIFICATIONS: '',
    BACKUP_HEALTH_NOTIFICATIONS: '',
    BACKUP_AUDIT: 'off',
    ...s3Env(s3.endpoint, s3),
    ...extra,
  });

  /** One real backup on both disks; returns its key. */
  async function realBackup(name: string): Promise<string> {
    const run = await runCli(['backup:run'], envFor(name), app.dir);
    expect(run.stderr).not.toContain('FAILED');
    expect(run.code).toBe(0);
    const keys = await s3.listKeys(`${name}/`);
    expect(keys).toHaveLength(1);
    return keys[0];
  }

  /** The same bytes under `key` on both disks, as a person or another tool would put them. */
  async function putOnBothDisks(key: string, bytes: Buffer): Promise<void> {
    fs.mkdirSync(path.dirname(path.join(store(), key)), { recursive: true });
    fs.writeFileSync(path.join(store(), key), bytes);
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: bytes }));
  }

  /** Every key under `prefix` on each disk. */
  async function keysOnBothDisks(prefix: string): Promise<{ local: string[]; s3: string[] }> {
    const local = listFiles(path.join(store(), prefix)).map((f) => prefix + f.split(path.sep).join('/'));
    return { local, s3: await s3.listKeys(prefix) };
  }

  faultCase(
    tally,
    'a 3-byte object named 2099-01-01-00-00-00.zip: monitor unhealthy naming it (never "healthy, 72 years from now"); clean with BACKUP_MAX_COUNT=1 keeps the real backup and leaves the stranger',
    async () => {
      const name = 'future-stranger';
      const real = await realBackup(name);
      const stranger = `${name}/2099-01-01-00-00-00.zip`;
      await putOnBothDisks(stranger, Buffer.from('abc'));

      const monitor = await runCli(['backup:monitor'], envFor(name), app.dir);
      expect(monitor.stdout).not.toContain('years from now');
      expect(monitor.stdout).not.toContain('healthy (');
      for (const disk of ['local', 's3']) {
        expect(monitor.stdout).toContain(`✘ ${disk}: unhealthy`);
        expect(monitor.stdout).toContain(
          `- future-dated: 1 object(s) on ${disk} dated in the future: ${stranger} (3 bytes, named for 2099-01-01T00:00:00.000Z`,
        );
      }
      expect(occurrences(monitor.stdout, "not written by this app's clock")).toBe(2);
      expect(monitor.code).toBe(1);

      const list = await runCli(['backup:list', '--json'], envFor(name), app.dir);
      expect(list.code).toBe(0);
      const rows = JSON.parse(list.stdout);
      for (const row of rows) {
        expect(row).toMatchObject({ reachable: true, healthy: false, count: 1, newestBackup: real });
        expect(row.strangers).toEqual([expect.objectContaining({ key: stranger, kind: 'future-dated', size: 3 })]);
      }

      const clean = await runCli(['backup:clean'], envFor(name, { BACKUP_MAX_COUNT: '1' }), app.dir);
      expect(clean.code).toBe(0);
      expect(clean.stdout).toContain(`left alone, not a backup: ${stranger} (3 B): future-dated`);
      expect(clean.stdout).toContain('✔ local: deleted 0 backup(s)');
      expect(await keysOnBothDisks(`${name}/`)).toEqual({ local: [real, stranger].sort(), s3: [real, stranger].sort() });
    },
  );

  faultCase(
    tally,
    'a 24-byte date-named file that is no ZIP: listed as foreign, not counted, not deleted by BACKUP_MAX_COUNT=1; the disk stays healthy',
    async () => {
      const name = 'tiny-stranger';
      const real = await realBackup(name);
      const realSize = fs.statSync(path.join(store(), real)).size;
      // An hour older than the real backup: a max count of 1 would delete it if it were counted.
      const realDate = new Date(
        `${real.slice(name.length + 1, name.length + 11)}T${real.slice(name.length + 12, name.length + 20).replace(/-/g, ':')}Z`,
      );
      const tiny = `${name}/${stamp(new Date(realDate.getTime() - HOUR))}.zip`;
      await putOnBothDisks(tiny, Buffer.from('this is not a zip file!\n'));

      const list = await runCli(['backup:list', '--json'], envFor(name), app.dir);
      expect(list.code).toBe(0);
      for (const row of JSON.parse(list.stdout)) {
        expect(row).toMatchObject({ reachable: true, healthy: true, count: 1, usedBytes: realSize, newestBackup: real });
        expect(row.strangers).toEqual([expect.objectContaining({ key: tiny, kind: 'foreign', size: 24 })]);
      }
      const table = await runCli(['backup:list'], envFor(name), app.dir);
      expect(table.stdout).toContain(
        `local: not counted as backups (left alone):\n  ? ${tiny} (24 B): foreign, 24 bytes, smaller than the smallest possible backup (124 bytes)`,
      );

      const monitor = await runCli(['backup:monitor'], envFor(name), app.dir);
      expect(monitor.stdout).toContain('✔ local: healthy (1 backup(s)');
      expect(monitor.stdout).toContain(`? ${tiny} (24 B): foreign`);
      expect(monitor.code).toBe(0);

      const clean = await runCli(['backup:clean'], envFor(name, { BACKUP_MAX_COUNT: '1' }), app.dir);
      expect(clean.code).toBe(0);
      expect(clean.stdout).toContain(`left alone, not a backup: ${tiny} (24 B): foreign`);
      expect(await keysOnBothDisks(`${name}/`)).toEqual({ local: [real, tiny].sort(), s3: [real, tiny].sort() });
    },
  );

  faultCase(tally, 'objects under a foreign prefix or in a sub-folder are ignored: not counted, not reported, not deleted', async () => {
    const name = 'shop';
    const real = await realBackup(name);
    const foreign = [`${name}-old/2099-01-01-00-00-00.zip`, `${name}2/2020-01-01-00-00-00.zip`, `${name}/archive/2099-01-01-00-00-00.zip`];
    for (const key of foreign) await putOnBothDisks(key, Buffer.from('abc'));

    const list = await runCli(['backup:list', '--json'], envFor(name), app.dir);
    expect(list.code).toBe(0);
    for (const row of JSON.parse(list.stdout)) {
      expect(row).toMatchObject({ reachable: true, healthy: true, count: 1, newestBackup: real, strangers: [] });
    }
    const monitor = await runCli(['backup:monitor'], envFor(name), app.dir);
    expect(monitor.code).toBe(0);
    const clean = await runCli(['backup:clean'], envFor(name, { BACKUP_MAX_COUNT: '1' }), app.dir);
    expect(clean.code).toBe(0);
    for (const key of foreign) {
      expect(fs.existsSync(path.join(store(), key))).toBe(true);
      expect(await s3.listKeys(key)).toEqual([key]);
    }
    expect((await keysOnBothDisks(`${name}/`)).s3).toEqual([`${name}/archive/2099-01-01-00-00-00.zip`, real].sort());
  });

  faultCase(tally, 'backup:list exits 1 when S3 is unreachable or refuses the key, and still lists the local disk', async () => {
    const name = 'unlisted';
    const real = await realBackup(name);
    const dead = `http://127.0.0.1:${await closedPort()}`;
    for (const [why, extra] of [
      ['unreachable', { AWS_ENDPOINT: dead }],
      ['refused key', { AWS_ACCESS_KEY_ID: 'WRONGKEY' }],
    ] as const) {
      const json = await runCli(['backup:list', '--json'], envFor(name, extra), app.dir);
      expect({ why, code: json.code }).toEqual({ why, code: 1 });
      const [local, remote] = JSON.parse(json.stdout);
      expect(local).toMatchObject({ disk: 'local', reachable: true, count: 1, newestBackup: real });
      expect(remote).toMatchObject({ disk: 's3', reachable: false });
      expect(json.stderr).toContain('1 of 2 disk(s) could not be listed: s3.');
      const table = await runCli(['backup:list'], envFor(name, extra), app.dir);
      expect(table.code).toBe(1);
      expect(table.stdout).toContain('s3: unreachable');
      expect(table.stdout).not.toContain(s3.secretAccessKey);
    }
  });

  faultCase(
    tally,
    'a failed backup:run prints its failure once, with its hint (every disk failed; one disk failed; the dump failed)',
    async () => {
      const dead = `http://127.0.0.1:${await closedPort()}`;
      const hint = 'check AWS_ENDPOINT (and AWS_USE_PATH_STYLE_ENDPOINT) and the network';

      const allFailed = await runCli(['backup:run'], envFor('run-fails', { BACKUP_DISKS: 's3', AWS_ENDPOINT: dead }), app.dir);
      expect(allFailed.code).toBe(1);
      const allOut = allFailed.stdout + allFailed.stderr;
      expect(occurrences(allOut, 'cannot reach S3 endpoint')).toBe(1);
      expect(occurrences(allOut, hint)).toBe(1);
      expect(allOut).toContain(`✘ s3: checking the bucket failed: cannot reach S3 endpoint ${dead} (ECONNREFUSED)\n  → ${hint}`);
      expect(allOut).toContain('Backup FAILED');

      const oneFailed = await runCli(['backup:run'], envFor('run-half-fails', { AWS_ENDPOINT: dead }), app.dir);
      expect(oneFailed.code).toBe(1);
      const oneOut = oneFailed.stdout + oneFailed.stderr;
      expect(occurrences(oneOut, 'cannot reach S3 endpoint')).toBe(1);
      expect(occurrences(oneOut, hint)).toBe(1);
      expect(oneOut).toMatch(/✔ local: run-half-fails\/\S+\.zip/);

      const dumpFailed = await runCli(
        ['backup:run'],
        envFor('run-dump-fails', {
          BACKUP_DISKS: 'local',
          BACKUP_DATABASES: 'default',
          DB_URL: `postgres://postgres@127.0.0.1:${await closedPort()}/nowhere`,
        }),
        app.dir,
      );
      expect(dumpFailed.code).toBe(1);
      const dumpOut = dumpFailed.stdout + dumpFailed.stderr;
      expect(occurrences(dumpOut, 'pg_dump failed for PostgreSQL database "nowhere"')).toBe(1);
      expect(occurrences(dumpOut, '→ Is the database server running and reachable')).toBe(1);
      expect(dumpOut).toContain('✘ local: not stored (the failure above)');
      expect(listFiles(path.join(store(), 'run-dump-fails'))).toEqual([]);
    },
  );
});
