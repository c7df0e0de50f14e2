import { BackupEvents } from '../events/backup.events';
import { age, buildMessage } from './message.builder';
import { formatBytes } from '../listing/size.format';

const opts = { cliCommand: 'npx shop-cli' };
const all = (m: { subject: string; text: string; fields: { name: string; value: string }[] }) =>
  [m.subject, m.text, ...m.fields.map((f) => `${f.name}: ${f.value}`)].join('\n');

describe('buildMessage', () => {
  it('backup.failed names app, destination, error, time and the command to look closer', () => {
    const m = buildMessage(
      BackupEvents.BackupFailed,
      { appName: 'shop', destination: 's3', at: '2026-11-21T02:00:00.000Z', error: 'Access Denied' },
      opts,
    );
    expect(m.level).toBe('error');
    expect(m.subject).toBe('Backup of shop failed on s3');
    expect(m.text).toContain('failed at 2026-11-21T02:00:00.000Z');
    expect(m.text).toContain('Error: Access Denied');
    expect(m.text).toContain('`npx shop-cli backup:list`');
    expect(m.fields).toEqual(
      expect.arrayContaining([
        { name: 'Application', value: 'shop' },
        { name: 'Destination', value: 's3' },
        { name: 'Error', value: 'Access Denied' },
      ]),
    );
    expect(m.payload).toMatchObject({ appName: 'shop', error: 'Access Denied' });
  });

  it('backup.failed before any destination says so', () => {
    const m = buildMessage(BackupEvents.BackupFailed, { appName: 'shop', at: 't', error: 'dump failed' }, opts);
    expect(m.subject).toBe('Backup of shop failed');
    expect(m.text).toContain('before any destination');
  });

  it('backup.cleanup.failed says storage keeps growing and how to retry', () => {
    const m = buildMessage(BackupEvents.CleanupFailed, { appName: 'shop', destination: 'local', at: 't', error: 'EACCES' }, opts);
    expect(m.subject).toBe('Cleanup of old backups of shop failed on local');
    expect(m.text).toContain('EACCES');
    expect(m.text).toContain('`npx shop-cli backup:clean`');
  });

  it('backup.health.unhealthy lists every failed check and the newest backup with its age', () => {
    const m = buildMessage(
      BackupEvents.UnhealthyBackupFound,
      {
        appName: 'shop',
        destination: 's3',
        at: '2026-11-21T06:00:00.000Z',
        newestBackup: 'shop/2026-11-18-02-00-00.zip',
        newestBackupAt: '2026-11-18T02:00:00.000Z',
        failures: [
          { check: 'max-age', message: 'newest backup is older than 1 day' },
          { check: 'max-storage', message: 'uses 12 GiB, limit 10 GiB' },
        ],
      },
      opts,
    );
    expect(m.subject).toBe('Unhealthy backups of shop on s3');
    expect(m.text).toContain('  - max-age: newest backup is older than 1 day');
    expect(m.text).toContain('  - max-storage: uses 12 GiB, limit 10 GiB');
    expect(m.text).toContain('made at 2026-11-18T02:00:00.000Z (3 days 4 hours before this check)');
    expect(m.text).toContain('`npx shop-cli backup:monitor`');
  });

  it('unhealthy with no backups at all says none was found', () => {
    const m = buildMessage(
      BackupEvents.UnhealthyBackupFound,
      { appName: 'shop', destination: 'local', at: 't', failures: [{ check: 'max-age', message: 'no backups' }] },
      opts,
    );
    expect(m.text).toContain('No backup of shop was found on local.');
    expect(m.fields).toContainEqual({ name: 'Newest backup', value: 'none' });
  });

  it('healthy, backup succeeded and cleanup succeeded are good news with the facts', () => {
    const healthy = buildMessage(
      BackupEvents.HealthyBackupFound,
      { appName: 'shop', destination: 's3', at: '2026-11-21T06:00:00Z', newestBackup: 'b.zip', newestBackupAt: '2026-11-21T02:00:00Z' },
      opts,
    );
    expect(healthy.level).toBe('success');
    expect(healthy.text).toContain('(4 hours before this check)');

    const ok = buildMessage(
      BackupEvents.BackupSucceeded,
      { appName: 'shop', destination: 's3', at: 't', backupName: 'shop/x.zip', sizeBytes: 5 * 1024 * 1024, durationMs: 2500 },
      opts,
    );
    expect(ok.subject).toBe('Backup of shop to s3 succeeded');
    expect(ok.text).toContain('shop/x.zip (5 MB, took 2.5 s)');

    const deleted = Array.from({ length: 25 }, (_, i) => `shop/${i}.zip`);
    const clean = buildMessage(
      BackupEvents.CleanupSucceeded,
      { appName: 'shop', destination: 's3', at: 't', deleted, usedBytesAfter: 2048 },
      opts,
    );
    expect(clean.text).toContain('Deleted 25 old backup(s)');
    expect(clean.text).toContain('... and 5 more');
    expect(clean.text).toContain('2 KB');
  });

  it('takes the app name from the options when the payload has none, and a default CLI prefix', () => {
    const m = buildMessage(BackupEvents.BackupFailed, { appName: '', at: 't', error: 'x' }, { appName: 'fallback' });
    expect(all(m)).toContain('Backup of fallback failed');
    expect(m.text).toContain('`npm run cli -- backup:list`');
  });
});

describe('age and formatBytes', () => {
  it('reads like a person would say it', () => {
    expect(age('2026-01-01T00:00:00Z', '2026-01-01T00:05:00Z')).toBe('5 minutes');
    expect(age('2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z')).toBe('1 day');
    expect(age('x', 'y')).toBe('age unknown');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
  });
});
