import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { backupOptionsFromEnv } from '../config/env.config';
import { BackupConfigError } from '../config/backup-config.error';
import { audited } from './audit.hook';
import { AuditTrail } from './audit.trail';

const PASSWORD = 'archive-password-0123456789-abcdefghij';
const S3_SECRET = 's3-secret-key-zyxwvutsrqponmlkjih';
const WEBHOOK_SECRET = 'webhook-secret-0123456789';

function optionsIn(dir: string, extra: Record<string, string> = {}) {
  return backupOptionsFromEnv(
    {
      APP_NAME: 'unit',
      BACKUP_ARCHIVE_PASSWORD: PASSWORD,
      BACKUP_DISKS: 'local,s3',
      AWS_BUCKET: 'backups',
      AWS_ACCESS_KEY_ID: 'AKIAUNITTEST',
      AWS_SECRET_ACCESS_KEY: S3_SECRET,
      BACKUP_WEBHOOK_URL: 'https://hooks.example/x',
      BACKUP_WEBHOOK_SECRET: WEBHOOK_SECRET,
      ...extra,
    },
    { cwd: dir },
  );
}

describe('AuditTrail (file store)', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nbt-audit-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('appends one redacted JSON line per operation to storage/audit/<app>.jsonl, mode 0600', async () => {
    const trail = new AuditTrail(optionsIn(dir));
    const leak = `wrong key ${S3_SECRET} for ${PASSWORD}, webhook ${WEBHOOK_SECRET}, extra own-export-password-123, postgres://u:dbpass@h/x`;
    await expect(
      audited(
        trail,
        'tenant-export',
        async () => {
          throw new Error(leak);
        },
        () => ({ outcome: 'success' }),
        { destination: 'local', secrets: ['own-export-password-123'] },
      ),
    ).rejects.toThrow(leak);
    await audited(
      trail,
      'monitor',
      async () => 42,
      (n) => ({ outcome: 'success', destination: 'local', rowCount: n }),
    );

    const file = path.join(dir, 'storage', 'audit', 'unit.jsonl');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const text = fs.readFileSync(file, 'utf8');
    for (const secret of [PASSWORD, S3_SECRET, WEBHOOK_SECRET, 'own-export-password-123', 'dbpass', 'AKIAUNITTEST'])
      expect(text).not.toContain(secret);
    const [failed, ok] = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(failed).toMatchObject({
      operation: 'tenant-export',
      outcome: 'failure',
      destination: 'local',
      appName: 'unit',
      user: os.userInfo().username,
      host: os.hostname(),
    });
    expect(failed.error).toBe('wrong key *** for ***, webhook ***, extra ***, postgres://u:***@h/x');
    expect(Date.parse(failed.finishedAt)).toBeGreaterThanOrEqual(Date.parse(failed.startedAt));
    expect(ok).toMatchObject({ operation: 'monitor', outcome: 'success', rowCount: 42, error: null });
    expect((await trail.read()).records.map((r) => r.operation)).toEqual(['tenant-export', 'monitor']);
  });

  it('records nothing with BACKUP_AUDIT=off and honours BACKUP_AUDIT_FILE', async () => {
    const off = new AuditTrail(optionsIn(dir, { BACKUP_AUDIT: 'off' }));
    await off.record({ operation: 'run', startedAt: new Date(), finishedAt: new Date(), outcome: 'success' });
    expect(fs.existsSync(path.join(dir, 'storage'))).toBe(false);
    const custom = new AuditTrail(optionsIn(dir, { BACKUP_AUDIT: 'file', BACKUP_AUDIT_FILE: 'logs/audit.jsonl' }));
    const result = await custom.record({ operation: 'clean', startedAt: new Date(), finishedAt: new Date(), outcome: 'partial' });
    expect(result.store).toBe(`file ${path.join(dir, 'logs', 'audit.jsonl')}`);
    expect(fs.readFileSync(path.join(dir, 'logs', 'audit.jsonl'), 'utf8')).toContain('"outcome":"partial"');
  });

  it('skips a torn last line (a crash mid-write) and keeps every other record', async () => {
    const trail = new AuditTrail(optionsIn(dir));
    await trail.record({ operation: 'run', startedAt: new Date(), finishedAt: new Date(), outcome: 'success' });
    fs.appendFileSync(trail.settings.file, '{"id":"torn","operat');
    expect((await trail.read()).records).toHaveLength(1);
  });

  it('validates the audit variables with messages that say what is expected', () => {
    const bad = () =>
      optionsIn(dir, { BACKUP_AUDIT: 'database', BACKUP_RPO_HOURS: '0', BACKUP_RTO_HOURS: 'four', BACKUP_AUDIT_DATABASE: 'a b' });
    expect(bad).toThrow(BackupConfigError);
    try {
      bad();
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toMatch(/BACKUP_AUDIT must be auto, db, file or off/);
      expect(msg).toMatch(/BACKUP_RPO_HOURS must be a positive number of hours/);
      expect(msg).toMatch(/BACKUP_RTO_HOURS must be a positive number of hours/);
      expect(msg).toMatch(/BACKUP_AUDIT_DATABASE must be a TypeORM DataSource name/);
    }
    expect(optionsIn(dir, { BACKUP_RPO_HOURS: '1', BACKUP_RTO_HOURS: '0.5' }).audit).toMatchObject({
      mode: 'auto',
      rpoHours: 1,
      rtoHours: 0.5,
    });
  });
});
