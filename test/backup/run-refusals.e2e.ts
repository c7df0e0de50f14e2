/**
 * Input that would lose or damage a backup is refused before anything is written: a
 * `--filename` that names an existing backup on any disk (unless `--overwrite`), control
 * characters in it, and numeric variables outside their documented range (a timeout past Node's
 * timer limit made every run fail at once; a huge retention period gave "Invalid time value").
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listFiles, runCli, tempAppDir } from '../support/cli';
import { startS3Server, TestS3Server } from '../support/s3.server';

const PASSWORD = 'refusals-password-0123456789-abcdefghij';

describe('backup:run refuses what would lose a backup', () => {
  let s3: TestS3Server;
  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'backups' });
  });
  afterAll(async () => s3?.stop());

  const envFor = (extra: Record<string, string> = {}) => ({
    APP_NAME: 'refusals',
    DB_URL: 'sqlite:storage/app.sqlite',
    BACKUP_DISKS: 'local,s3',
    BACKUP_ARCHIVE_PASSWORD: PASSWORD,
    BACKUP_INCLUDE: 'storage/app',
    BACKUP_FAILURE_NOTIFICATIONS: '',
    BACKUP_HEALTH_NOTIFICATIONS: '',
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_DEFAULT_REGION: s3.region,
    AWS_BUCKET: s3.bucket,
    AWS_ENDPOINT: s3.endpoint,
    AWS_USE_PATH_STYLE_ENDPOINT: 'true',
    ...extra,
  });

  it('--filename of a backup that exists on any disk: refused, both disks untouched; --overwrite replaces it', async () => {
    const app = tempAppDir('nbt-refusals-');
    try {
      fs.mkdirSync(path.join(app.dir, 'storage', 'app'), { recursive: true });
      fs.writeFileSync(path.join(app.dir, 'storage', 'app', 'invoice.pdf'), 'pdf bytes');
      const env = envFor();
      expect((await runCli(['demo:seed', '--tenants', '1', '--rows', '2'], env, app.dir)).code).toBe(0);

      // A full backup on s3 only, under a chosen name.
      const first = await runCli(['backup:run', '--filename', 'before-migration', '--only-to-disk', 's3'], env, app.dir);
      expect(first.code).toBe(0);
      const key = 'refusals/before-migration.zip';
      const original = await s3.download(key);

      // The same name again, files only, to both disks: refused, naming the disk and the key.
      const again = await runCli(['backup:run', '--filename', 'before-migration', '--only-files'], env, app.dir);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(
        /A backup "refusals\/before-migration\.zip" already exists on disk "s3"; nothing was written\. Pass --overwrite to replace it/,
      );
      expect((await s3.download(key)).equals(original)).toBe(true);
      expect(listFiles(path.join(app.dir, 'storage', 'backups'))).toEqual([]);

      // With --overwrite it is replaced (and written to the local disk too).
      const replaced = await runCli(['backup:run', '--filename', 'before-migration', '--only-files', '--overwrite'], env, app.dir);
      expect(replaced.code).toBe(0);
      expect((await s3.download(key)).equals(original)).toBe(false);
      expect(listFiles(path.join(app.dir, 'storage', 'backups'))).toEqual([key]);
    } finally {
      app.cleanup();
    }
  });

  it('--filename with a control character: refused, nothing written', async () => {
    const app = tempAppDir('nbt-refusals-');
    try {
      const env = envFor();
      expect((await runCli(['demo:seed', '--tenants', '1', '--rows', '2'], env, app.dir)).code).toBe(0);
      for (const name of ['two\nlines', 'tab\there', 'bell\u0007', 'del\u007f']) {
        const run = await runCli(['backup:run', '--filename', name, '--only-to-disk', 'local'], env, app.dir);
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(/--filename .* contains a control character/);
      }
      expect(listFiles(path.join(app.dir, 'storage', 'backups'))).toEqual([]);
    } finally {
      app.cleanup();
    }
  });

  it('numeric variables out of range and BACKUP_NAME ".." stop the CLI at start-up with the variable, value and range', async () => {
    const app = tempAppDir('nbt-refusals-');
    try {
      const timeout = await runCli(['backup:run'], envFor({ BACKUP_TIMEOUT: '2147484' }), app.dir);
      expect(timeout.code).not.toBe(0);
      expect(timeout.stderr).toMatch(/BACKUP_TIMEOUT=2147484 is out of range: use a value from 1 to 2147483 seconds/);
      expect(timeout.stderr + timeout.stdout).not.toMatch(/took longer than/);

      const keep = await runCli(['backup:clean'], envFor({ BACKUP_KEEP_ALL_DAYS: '99999999999999999999' }), app.dir);
      expect(keep.code).not.toBe(0);
      expect(keep.stderr).toMatch(/BACKUP_KEEP_ALL_DAYS=99999999999999999999 is out of range: use a value from 0 to 36500 days/);
      expect(keep.stderr).not.toMatch(/Invalid time value/);

      const name = await runCli(['backup:run'], envFor({ BACKUP_NAME: '..' }), app.dir);
      expect(name.code).not.toBe(0);
      expect(name.stderr).toMatch(/BACKUP_NAME must use only letters.*not be "\." or "\.\."/);

      const flag = await runCli(['backup:run', '--timeout', '2147484'], envFor(), app.dir);
      expect(flag.code).not.toBe(0);
      expect(flag.stderr).toMatch(/--timeout 2147484 is out of range[\s\S]*from 1 to 2147483 seconds/);
      const tries = await runCli(['backup:run', '--tries', '100'], envFor(), app.dir);
      expect(tries.code).not.toBe(0);
      expect(tries.stderr).toMatch(/--tries 100 is out of range[\s\S]*from 1 to 99 attempts/);
      expect(listFiles(path.join(app.dir, 'storage', 'backups'))).toEqual([]);
    } finally {
      app.cleanup();
    }
  });
});
