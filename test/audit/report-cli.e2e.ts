/**
 * `backup:report` as an auditor gets it: the compiled demo CLI (SQLite, local disk + an S3 disk
 * whose key is wrong) makes backups, fails on S3, verifies with a test restore and restores;
 * then the report counts them per destination, judges RPO and RTO (and changes its verdicts when
 * BACKUP_RPO_HOURS / BACKUP_RTO_HOURS are tightened), lists the failure, and renders Markdown.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempAppDir } from '../support/cli';
import { startS3Server, TestS3Server } from '../support/s3.server';

const PASSWORD = 'report-cli-archive-password-0123456789-ab';
const S3_SECRET = 'report-cli-s3-secret-0123456789-abcdefgh';
const WEBHOOK_SECRET = 'report-cli-webhook-secret-0123456789';

let s3: TestS3Server;
beforeAll(async () => void (s3 = await startS3Server()));
afterAll(async () => s3?.stop());

describe('backup:report from the demo CLI', () => {
  it('reports counts, RPO/RTO verdicts and failures as JSON and Markdown; refuses bad input', async () => {
    const app = tempAppDir('nbt-report-cli-');
    try {
      const env = {
        APP_NAME: 'report-cli',
        BACKUP_ARCHIVE_PASSWORD: PASSWORD,
        DB_URL: `sqlite:${join(app.dir, 'app.db')}`,
        BACKUP_DISKS: 'local,s3',
        AWS_BUCKET: s3.bucket,
        AWS_ENDPOINT: s3.endpoint,
        AWS_USE_PATH_STYLE_ENDPOINT: 'true',
        AWS_ACCESS_KEY_ID: 'AKIAREPORTWRONG',
        AWS_SECRET_ACCESS_KEY: S3_SECRET,
        BACKUP_WEBHOOK_URL: 'http://127.0.0.1:9/hook',
        BACKUP_WEBHOOK_SECRET: WEBHOOK_SECRET,
        BACKUP_FAILURE_NOTIFICATIONS: '',
        BACKUP_HEALTH_NOTIFICATIONS: '',
        BACKUP_SUCCESS_NOTIFICATIONS: '',
      };
      const cli = (args: string[], extra: Record<string, string> = {}) => runCli(args, { ...env, ...extra }, app.dir);
      expect((await cli(['demo:seed', '--tenants', '2', '--rows', '3'])).code).toBe(0);
      expect((await cli(['backup:run'])).code).toBe(1); // local stored, s3 refused: partial
      expect((await cli(['backup:run', '--only-to-disk', 'local'])).code).toBe(0);
      expect((await cli(['backup:verify', '--latest', '--test-restore'])).code).toBe(0);
      const restored = await cli(['backup:restore', '--latest', '--only-db', '--to-database', join(app.dir, 'restored.db')]);
      expect(restored.code).toBe(0);

      const json = await cli(['backup:report', '--format', 'json']);
      expect(json.code).toBe(0);
      const report = JSON.parse(json.stdout);
      const local = report.destinations.find((d: { destination: string }) => d.destination === 'local');
      const remote = report.destinations.find((d: { destination: string }) => d.destination === 's3');
      expect(local.backups).toEqual({ made: 2, failed: 0 });
      expect(remote.backups).toEqual({ made: 0, failed: 1 });
      expect(local.rpo).toMatchObject({ objectiveHours: 24, verdict: 'met' });
      expect(remote.rpo.verdict).toBe('missed');
      expect(local.lastVerification).toMatchObject({ testRestore: true });
      expect(local.lastTestRestore.backupName).toMatch(/^report-cli\/\d{4}-/);
      expect(local.rto).toMatchObject({ objectiveHours: 4, measuredBy: 'restore', verdict: 'met' });
      expect(local.rto.measuredMs).toBeGreaterThan(0);
      expect(report.objectives).toMatchObject({ rpoHours: 24, rtoHours: 4, rpoMet: false });
      expect(report.operations.run).toEqual({ success: 1, partial: 1, failure: 0 });
      expect(report.failures).toHaveLength(1);
      expect(report.failures[0]).toMatchObject({ operation: 'run', outcome: 'partial' });
      expect(report.failures[0].error).toMatch(/s3: .*(InvalidAccessKeyId|access key)/i);
      expect(report.encryption.mode).toBe('aes256');
      expect(report.retention).toMatchObject({ keepAllDays: 7, keepDailyDays: 30 });

      // Tighter objectives: the same records now miss both.
      await new Promise((r) => setTimeout(r, 500));
      const strict = JSON.parse(
        (await cli(['backup:report', '--format', 'json'], { BACKUP_RPO_HOURS: '0.0001', BACKUP_RTO_HOURS: '0.000001' })).stdout,
      );
      const strictLocal = strict.destinations.find((d: { destination: string }) => d.destination === 'local');
      expect(strictLocal.rpo.verdict).toBe('missed');
      expect(strictLocal.rto.verdict).toBe('missed');

      // --since as an age: the last hour holds everything; a period starting tomorrow is refused.
      const later = JSON.parse((await cli(['backup:report', '--format', 'json', '--since', '1h'])).stdout);
      expect(later.failures).toHaveLength(1);
      const future = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
      const empty = await cli(['backup:report', '--since', future]);
      expect(empty.code).not.toBe(0);
      expect(empty.stderr).toMatch(/--since .* is in the future/);

      const md = await cli(['backup:report']);
      expect(md.code).toBe(0);
      for (const h of [
        '# Backup compliance report: report-cli',
        '## Summary',
        '## Destinations',
        '### local',
        '### s3',
        '## Retention in force',
        '## Encryption in force',
        '## Failures in the period',
        '## Audit trail',
      ]) {
        expect(md.stdout).toContain(h);
      }

      const badSince = await cli(['backup:report', '--since', 'last tuesday']);
      expect(badSince.code).not.toBe(0);
      expect(badSince.stderr).toMatch(/--since "last tuesday" is not a date/);
      const badFormat = await cli(['backup:report', '--format', 'xml']);
      expect(badFormat.code).not.toBe(0);
      expect(badFormat.stderr).toMatch(/--format "xml" is not known/);
      const badEnv = await cli(['backup:report'], { BACKUP_RPO_HOURS: 'soon' });
      expect(badEnv.code).not.toBe(0);
      expect(badEnv.stderr).toMatch(/BACKUP_RPO_HOURS must be a positive number of hours/);

      const trail = readFileSync(join(app.dir, 'storage', 'audit', 'report-cli.jsonl'), 'utf8');
      expect(
        trail
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).operation),
      ).toEqual(['run', 'run', 'verify', 'restore']);
      for (const secret of [PASSWORD, S3_SECRET, WEBHOOK_SECRET, 'AKIAREPORTWRONG']) {
        expect(trail).not.toContain(secret);
        expect(json.stdout + md.stdout).not.toContain(secret);
      }
    } finally {
      app.cleanup();
    }
  });
});
