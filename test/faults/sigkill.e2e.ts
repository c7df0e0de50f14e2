/**
 * Fault class "sigkill": `backup:run` (a real process) is killed with SIGKILL in the middle of
 * a large backup (a 120 MiB incompressible file at level 9, to the local disk and s3rver at
 * once): no handler runs, so whatever the process had in flight stays where it was. Then the
 * backup is run again: it must succeed, `backup:list --json` must show exactly one backup per
 * disk (the second run's), and the bucket must hold no object of the first run.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listFiles, runCli, spawnCli, tempAppDir } from '../support/cli';
import { startS3Server, TestS3Server } from '../support/s3.server';
import { testWith7z } from '../support/seven-zip';
import { Proc } from '../schedule/instances.fixtures';
import { baseEnv, faultCase, faultClass, PASSWORD, partFiles, s3Env, writeRandomFile } from './faults.fixtures';

const tally = faultClass('sigkill');

describe('fault class sigkill: backup:run killed with SIGKILL mid-run, then run again', () => {
  let s3: TestS3Server;
  let app: ReturnType<typeof tempAppDir>;

  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'backups' });
    app = tempAppDir('nest-backup-sigkill-');
    const seeded = await runCli(['demo:seed', '--tenants', '2', '--rows', '3'], baseEnv('seed'), app.dir);
    expect(seeded.code).toBe(0);
    writeRandomFile(path.join(app.dir, 'storage/app/big.bin'), 120 * 1024 * 1024);
  });
  afterAll(async () => {
    await s3?.stop();
    app?.cleanup();
  });

  faultCase(
    tally,
    'SIGKILL while the archive is being written: the next run succeeds, one backup listed per disk, no object of the killed run',
    async () => {
      const name = 'sigkill-app';
      const env = baseEnv(name, {
        ...s3Env(s3.endpoint, s3),
        BACKUP_DISKS: 'local,s3',
        BACKUP_INCLUDE: 'storage/app',
        BACKUP_COMPRESSION_LEVEL: '9',
        BACKUP_S3_PART_SIZE_MB: '5',
      });
      const folder = path.join(app.dir, 'storage/backups', name);

      const proc = new Proc(spawnCli(['backup:run'], env, app.dir));
      try {
        // Mid-run: the temporary file holds more than 8 MiB (a part or more went to S3 too).
        await proc.waitFor(
          () => partFiles(folder).some((f) => fs.statSync(path.join(folder, f)).size > 8 << 20),
          'a .part file over 8 MiB',
          90_000,
        );
        proc.child.kill('SIGKILL');
        const exit = await proc.exited;
        expect(exit.signal).toBe('SIGKILL');
      } finally {
        await proc.stop('SIGKILL');
      }

      // What the killed run left: its temporary file (nobody could remove it), no object in the bucket.
      const staleParts = partFiles(folder);
      expect(listFiles(folder).filter((f) => f.endsWith('.zip'))).toEqual([]);
      expect(await s3.listKeys(`${name}/`)).toEqual([]);
      // eslint-disable-next-line no-console
      console.log(`sigkill: after SIGKILL the local folder holds ${staleParts.length} .part file(s): ${staleParts.join(', ') || '(none)'}`);

      const again = await runCli(['backup:run'], env, app.dir, 180_000);
      expect(again.stderr).not.toMatch(/FAILED|not started/);
      expect(again.code).toBe(0);
      const key = /✔ local: (\S+\.zip)/.exec(again.stdout)?.[1];
      expect(key).toBeDefined();
      expect(again.stdout).toContain(`✔ s3: ${key}`);

      const listed = await runCli(['backup:list', '--json'], env, app.dir);
      expect(listed.code).toBe(0);
      const rows = JSON.parse(listed.stdout) as Array<{ disk: string; count: number; newestBackup: string; healthy: boolean }>;
      expect(rows.map((r) => [r.disk, r.count, r.newestBackup])).toEqual([
        ['local', 1, key],
        ['s3', 1, key],
      ]);

      // The bucket holds the second run's archive only, complete and equal to the local one.
      expect(await s3.listKeys(`${name}/`)).toEqual([key]);
      const local = path.join(app.dir, 'storage/backups', key!);
      const head = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
      expect(head.ContentLength).toBe(fs.statSync(local).size);
      const tested = await testWith7z(local, PASSWORD);
      expect(tested.code).toBe(0);

      const partsAfter = partFiles(folder);
      // eslint-disable-next-line no-console
      console.log(
        `sigkill: after the next run the local folder holds ${partsAfter.length} .part file(s): ${partsAfter.join(', ') || '(none)'}`,
      );
      expect(listFiles(folder).filter((f) => f.endsWith('.zip'))).toEqual([path.basename(key!)]);
      // The next run holds the job lock, so it removes the killed run's temporary file and says so.
      expect(staleParts.length).toBeGreaterThan(0);
      expect(partsAfter).toEqual([]);
      expect(again.stdout + again.stderr).toMatch(/a temporary file left by an interrupted run/);
    },
    300_000,
  );
});
