/**
 * Fault class "secrets": a backup of PostgreSQL through a role with a password, to the local
 * disk and s3rver (with its own secret key), with success and failure notifications to a signed
 * webhook. While the run goes, `ps -eo args` is sampled every 50 ms and the temporary files
 * (TMPDIR, the .part file) are looked at; afterwards the logs, every notification, the archive's
 * manifest and every file the app holds are searched. No password or key may appear anywhere,
 * and the archive and every temporary file must be mode 0600.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listFiles, runCli, spawnCli, tempAppDir } from '../support/cli';
import { createPasswordUser, createTestDatabase, PasswordUser, runSql, TestDatabase } from '../support/databases';
import { HttpReceiver, startHttpReceiver } from '../support/receivers';
import { startS3Server, TestS3Server } from '../support/s3.server';
import { run7z } from '../support/seven-zip';
import { Proc } from '../schedule/instances.fixtures';
import { baseEnv, dbUrl, faultCase, faultClass, modeOf, PASSWORD, s3Env } from './faults.fixtures';

const tally = faultClass('secrets');

describe('fault class secrets: no password or key in ps, logs, notifications, manifest or files; 0600 everywhere', () => {
  let s3: TestS3Server;
  let webhook: HttpReceiver;
  let db: TestDatabase;
  let user: PasswordUser;
  let app: ReturnType<typeof tempAppDir>;
  let tmp: string;
  const S3_SECRET = `s3-secret-${randomBytes(12).toString('hex')}`;
  const WEBHOOK_SECRET = `whsec-${randomBytes(12).toString('hex')}`;

  beforeAll(async () => {
    [s3, webhook, db] = await Promise.all([
      startS3Server({ bucket: 'backups' }),
      startHttpReceiver(),
      createTestDatabase('postgres', 'secrets'),
    ]);
    // ~80 MB of dump, so pg_dump runs for a while (~0.5 s) and the 50 ms ps sampling sees it.
    await runSql(
      db.connection,
      `CREATE TABLE notes AS SELECT g AS id, md5(g::text) || md5((g + 1)::text) || md5((g + 2)::text) AS body FROM generate_series(1, 800000) g`,
    );
    user = await createPasswordUser(db.connection);
    app = tempAppDir('nest-backup-secrets-');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nbt-secrets-tmp-'));
  });
  afterAll(async () => {
    await user?.drop();
    await Promise.all([s3?.stop(), webhook?.stop(), db?.drop()]);
    app?.cleanup();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** Each secret in the forms it could leak in: as is, URL-encoded, and its distinctive core. */
  const secretForms = () => {
    const secrets = [user.password, PASSWORD, S3_SECRET, WEBHOOK_SECRET];
    const forms = new Set<string>();
    for (const s of secrets) {
      forms.add(s);
      forms.add(encodeURIComponent(s));
    }
    forms.add(/^Pw-[0-9a-f]+/.exec(user.password)![0]); // the role password's unique part
    return [...forms];
  };
  const leaks = (text: string) => secretForms().filter((s) => text.includes(s));

  faultCase(
    tally,
    'a PostgreSQL backup with a password role, S3 key and webhook secret leaks none of them; archive and temp files are 0600',
    async () => {
      const name = 'secrets-app';
      const env = baseEnv(name, {
        ...s3Env(s3.endpoint, { ...s3, secretAccessKey: S3_SECRET }),
        DB_URL: dbUrl(user.connection),
        BACKUP_DISKS: 'local,s3',
        BACKUP_S3_PART_SIZE_MB: '5',
        BACKUP_SUCCESS_NOTIFICATIONS: 'webhook',
        BACKUP_FAILURE_NOTIFICATIONS: 'webhook',
        BACKUP_WEBHOOK_URL: `${webhook.url}/hooks/backup`,
        BACKUP_WEBHOOK_SECRET: WEBHOOK_SECRET,
        TMPDIR: tmp,
      });
      const folder = path.join(app.dir, 'storage/backups', name);

      const proc = new Proc(spawnCli(['backup:run'], env, app.dir));
      const psLines = new Set<string>();
      const tempModes = new Map<string, number>();
      let samples = 0;
      try {
        while (proc.child.exitCode === null && proc.child.signalCode === null) {
          for (const line of execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n')) psLines.add(line);
          samples++;
          for (const dir of [tmp, folder]) {
            for (const f of listFiles(dir)) {
              const full = path.join(dir, f);
              try {
                tempModes.set(full, modeOf(full));
              } catch {
                // removed between listing and stat
              }
            }
          }
          await new Promise((r) => setTimeout(r, 50));
        }
        const exit = await proc.exited;
        expect(proc.out).not.toMatch(/FAILED/);
        expect(exit.code).toBe(0);
      } finally {
        await proc.stop('SIGKILL');
      }

      // The sampling saw the run: pg_dump was on the process list at least once.
      expect(samples).toBeGreaterThan(3);
      expect([...psLines].some((l) => /(^|\/)pg_dump /.test(l))).toBe(true);
      expect(leaks([...psLines].join('\n'))).toEqual([]);

      // Temporary files seen during the run (the password file in TMPDIR, the .part) were 0600,
      // and none is left.
      expect([...tempModes.keys()].some((f) => f.endsWith('.part'))).toBe(true);
      expect([...tempModes.keys()].some((f) => f.startsWith(tmp + path.sep))).toBe(true); // pg_dump's password file
      for (const [file, mode] of tempModes) expect({ file, mode: mode.toString(8) }).toEqual({ file, mode: '600' });
      expect(listFiles(tmp)).toEqual([]);

      // Logs.
      expect(leaks(proc.out)).toEqual([]);

      // Notifications: the success webhook arrived, signed, without any secret in headers or body.
      const requests = await webhook.waitForRequests(1, 10_000);
      expect(requests.map((r) => r.headers['x-backup-event'])).toContain('backup.succeeded');
      for (const r of requests) {
        expect(leaks(r.rawBody)).toEqual([]);
        expect(leaks(JSON.stringify(r.headers))).toEqual([]);
      }

      // The archive is 0600; its manifest (extracted with 7-Zip) holds no secret.
      const archives = listFiles(folder);
      expect(archives).toHaveLength(1);
      const archive = path.join(folder, archives[0]);
      expect(modeOf(archive).toString(8)).toBe('600');
      const out = path.join(app.dir, 'manifest-out');
      const extracted = await run7z(['x', '-y', '-bd', `-p${PASSWORD}`, `-o${out}`, archive, 'manifest.json']);
      expect(extracted.code).toBe(0);
      const manifest = fs.readFileSync(path.join(out, 'manifest.json'), 'utf8');
      expect(JSON.parse(manifest).databases[0].tables.notes).toBe(800000);
      expect(leaks(manifest)).toEqual([]);
      fs.rmSync(out, { recursive: true, force: true });

      // Every file the app holds (archive, audit records, anything else): no secret in its bytes.
      for (const f of listFiles(app.dir)) {
        expect({ file: f, leaks: leaks(fs.readFileSync(path.join(app.dir, f)).toString('latin1')) }).toEqual({ file: f, leaks: [] });
      }
      expect(await s3.listKeys(`${name}/`)).toEqual([`${name}/${archives[0]}`]);
    },
    180_000,
  );

  faultCase(
    tally,
    'a failing run (S3 refuses uploads) reports the failure without any secret in logs or the failure notification',
    async () => {
      const name = 'secrets-fail';
      const before = webhook.requests.length;
      // A wrong access key id: s3rver answers 403 InvalidAccessKeyId; the error text passes through the library.
      const env = baseEnv(name, {
        ...s3Env(s3.endpoint, { ...s3, accessKeyId: 'WRONGKEY', secretAccessKey: S3_SECRET }),
        DB_URL: dbUrl(user.connection),
        BACKUP_DISKS: 's3',
        BACKUP_FAILURE_NOTIFICATIONS: 'webhook',
        BACKUP_WEBHOOK_URL: `${webhook.url}/hooks/backup`,
        BACKUP_WEBHOOK_SECRET: WEBHOOK_SECRET,
        TMPDIR: tmp,
      });
      const run = await runCli(['backup:run', '--only-db'], env, app.dir);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/✘ s3: /);
      expect(leaks(run.stdout + run.stderr)).toEqual([]);
      const failed = (await webhook.waitForRequests(before + 1, 10_000)).slice(before);
      expect(failed.map((r) => r.headers['x-backup-event'])).toContain('backup.failed');
      for (const r of failed) expect(leaks(r.rawBody + JSON.stringify(r.headers))).toEqual([]);
      expect(await s3.listKeys(`${name}/`)).toEqual([]);
      expect(listFiles(tmp)).toEqual([]);
    },
  );
});
