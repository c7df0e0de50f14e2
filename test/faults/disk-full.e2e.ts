/**
 * Fault class "disk-full": the local backup disk is a 2 MiB tmpfs (`mount -t tmpfs -o size=2m`,
 * the tests run as root) and the archive is 4 MiB of incompressible data, so the write fails
 * with ENOSPC half-way. The run must fail with exit 1 and a message that says the disk is full,
 * remove its temporary file (the tmpfs is empty again), and not hurt the other disk: with
 * `local,s3` the bucket still receives the complete archive.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listFiles, runCli, tempAppDir } from '../support/cli';
import { startS3Server, TestS3Server } from '../support/s3.server';
import { run7z } from '../support/seven-zip';
import { baseEnv, faultCase, faultClass, PASSWORD, s3Env, writeRandomFile } from './faults.fixtures';

const tally = faultClass('disk-full');

describe('fault class disk-full: the local disk fills up while the archive is written', () => {
  let s3: TestS3Server;
  let app: ReturnType<typeof tempAppDir>;
  let disk: string;
  let mounted = false;

  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'backups' });
    app = tempAppDir('nest-backup-disk-full-');
    const seeded = await runCli(['demo:seed', '--tenants', '2', '--rows', '3'], baseEnv('seed'), app.dir);
    expect(seeded.code).toBe(0);
    writeRandomFile(path.join(app.dir, 'storage/app/big.bin'), 4 * 1024 * 1024);
    disk = path.join(app.dir, 'small-disk');
    fs.mkdirSync(disk);
    // Needs root (CI and this machine run the tests as root); a refusal fails the suite loudly.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', disk]);
    mounted = true;
  });
  afterAll(async () => {
    if (mounted) execFileSync('umount', [disk]);
    await s3?.stop();
    app?.cleanup();
  });

  const envFor = (name: string, extra: Record<string, string> = {}) =>
    baseEnv(name, {
      BACKUP_LOCAL_ROOT: disk,
      BACKUP_INCLUDE: 'storage/app',
      BACKUP_COMPRESSION_LEVEL: '0',
      ...extra,
    });

  /** What is on the small disk besides the audit trail's own records (.audit/). */
  const backupFiles = () => listFiles(disk).filter((f) => !f.startsWith('.audit/'));

  faultCase(tally, 'ENOSPC on the only disk: exit 1 (not a silent exit 0), ENOSPC in the error, temporary file removed', async () => {
    const name = 'full-local';
    const run = await runCli(['backup:run'], envFor(name), app.dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/✘ local: [^\n]*(\n  → [^\n]*)*(ENOSPC|no space left)/i);
    expect(run.stderr).toMatch(/Backup FAILED/);
    expect(backupFiles()).toEqual([]);
  });

  faultCase(tally, 'ENOSPC on local while S3 is fine: exit 1, local cleaned up, the bucket holds the complete archive', async () => {
    const name = 'full-local-s3-ok';
    const run = await runCli(['backup:run'], envFor(name, { ...s3Env(s3.endpoint, s3), BACKUP_DISKS: 'local,s3' }), app.dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/✘ local: [^\n]*(\n  → [^\n]*)*(ENOSPC|no space left)/i);
    const key = /✔ s3: (\S+\.zip)/.exec(run.stderr + run.stdout)?.[1];
    expect(key).toBeDefined();
    expect(backupFiles()).toEqual([]);
    expect(await s3.listKeys(`${name}/`)).toEqual([key]);
    // The S3 copy is whole: 7-Zip extracts the 4 MiB file from it byte for byte.
    const copy = path.join(app.dir, 'from-s3.zip');
    fs.writeFileSync(copy, await s3.download(key!));
    const out = path.join(app.dir, 'from-s3');
    const extracted = await run7z(['x', '-y', '-bd', `-p${PASSWORD}`, `-o${out}`, copy]);
    expect(extracted.code).toBe(0);
    expect(
      fs.readFileSync(path.join(out, 'files/storage/app/big.bin')).equals(fs.readFileSync(path.join(app.dir, 'storage/app/big.bin'))),
    ).toBe(true);
  });
});
