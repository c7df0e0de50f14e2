import { AuditRecord } from './audit.types';
import { buildComplianceReport, ComplianceInput } from './compliance.report';
import { parseSince } from './compliance.reporter';
import { renderComplianceMarkdown } from './compliance.markdown';

const NOW = new Date('2026-06-10T12:00:00Z');
const input: ComplianceInput = {
  appName: 'shop',
  now: NOW,
  since: new Date('2026-06-01T00:00:00Z'),
  disks: ['local', 's3'],
  rpoHours: 24,
  rtoHours: 4,
  retention: {
    keepAllDays: 7,
    keepDailyDays: 30,
    keepWeeklyWeeks: 12,
    keepMonthlyMonths: 12,
    keepYearlyYears: 7,
    deleteOldestWhenUsingMoreMb: null,
    maxCount: 10,
  },
  encryption: 'aes256',
  sources: ['file x'],
  problems: [],
};

let n = 0;
function rec(partial: Partial<AuditRecord> & Pick<AuditRecord, 'operation' | 'startedAt'>): AuditRecord {
  return {
    id: String(++n),
    appName: 'shop',
    finishedAt: partial.startedAt,
    durationMs: 1000,
    outcome: 'success',
    destination: 'local',
    backupName: null,
    sizeBytes: null,
    rowCount: null,
    user: 'ops',
    host: 'db1',
    error: null,
    details: {},
    ...partial,
  };
}

describe('buildComplianceReport', () => {
  const records = [
    // Before the period: counts for "newest backup" and "last verification", not for the period's tallies.
    rec({
      operation: 'run',
      startedAt: '2026-05-20T02:00:00.000Z',
      details: {
        destinations: [
          { disk: 'local', ok: true, key: 'shop/old.zip' },
          { disk: 's3', ok: true, key: 'shop/old.zip' },
        ],
      },
    }),
    rec({
      operation: 'run',
      startedAt: '2026-06-10T02:00:00.000Z',
      outcome: 'partial',
      error: 's3: refused',
      details: {
        destinations: [
          { disk: 'local', ok: true, key: 'shop/new.zip' },
          { disk: 's3', ok: false, key: 'shop/new.zip', error: 'refused' },
        ],
      },
    }),
    rec({
      operation: 'run',
      startedAt: '2026-06-09T02:00:00.000Z',
      outcome: 'failure',
      destination: 'local',
      error: 'disk full',
      details: { destinations: [{ disk: 'local', ok: false, key: 'shop/mid.zip' }] },
    }),
    rec({
      operation: 'verify',
      startedAt: '2026-06-10T03:00:00.000Z',
      backupName: 'shop/new.zip',
      details: { backups: [{ backupName: 'shop/new.zip', ok: true, testRestore: true, testRestoreOk: true, testRestoreMs: 5000 }] },
    }),
    rec({
      operation: 'restore',
      startedAt: '2026-06-05T03:00:00.000Z',
      backupName: 'shop/x.zip',
      durationMs: 5 * 3_600_000,
      details: { dryRun: false },
    }),
    rec({
      operation: 'restore',
      startedAt: '2026-06-06T03:00:00.000Z',
      backupName: 'shop/y.zip',
      durationMs: 1,
      details: { dryRun: true },
    }),
  ];
  const report = buildComplianceReport(records, input);
  const local = report.destinations.find((d) => d.destination === 'local')!;
  const s3 = report.destinations.find((d) => d.destination === 's3')!;

  it('counts backups made and failed per destination within the period only', () => {
    expect(local.backups).toEqual({ made: 1, failed: 1 });
    expect(s3.backups).toEqual({ made: 0, failed: 1 });
  });

  it('judges the newest backup against the RPO, including backups older than the period', () => {
    expect(local.newestBackup).toMatchObject({ name: 'shop/new.zip', ageHours: 10 });
    expect(local.rpo.verdict).toBe('met');
    expect(s3.newestBackup).toMatchObject({ name: 'shop/old.zip' });
    expect(s3.rpo.verdict).toBe('missed');
    expect(report.objectives.rpoMet).toBe(false);
  });

  it('measures the RTO by the last real restore (dry runs ignored) and falls back to test restores', () => {
    expect(local.lastRestore).toMatchObject({ backupName: 'shop/x.zip', durationMs: 5 * 3_600_000 });
    expect(local.rto).toMatchObject({ measuredBy: 'restore', verdict: 'missed' });
    expect(local.lastTestRestore).toMatchObject({ backupName: 'shop/new.zip', durationMs: 5000 });
    expect(s3.rto.verdict).toBe('not measured');
    const withoutRestores = buildComplianceReport(
      records.filter((r) => r.operation !== 'restore'),
      input,
    );
    expect(withoutRestores.destinations[0].rto).toMatchObject({ measuredBy: 'test restore', measuredMs: 5000, verdict: 'met' });
  });

  it('lists every failure and partial outcome in the period, with who ran it', () => {
    expect(report.failures.map((f) => [f.operation, f.outcome, f.error, f.user])).toEqual([
      ['run', 'failure', 'disk full', 'ops'],
      ['run', 'partial', 's3: refused', 'ops'],
    ]);
  });

  it('states retention and encryption in force, and renders every section as Markdown', () => {
    expect(report.retention.description).toMatch(/all backups for 7 day\(s\).*at most 10 backups per disk/);
    expect(report.encryption.mode).toBe('aes256');
    const md = renderComplianceMarkdown(report);
    for (const h of [
      '# Backup compliance report: shop',
      '## Summary',
      '## Destinations',
      '### local',
      '### s3',
      '## Retention in force',
      '## Encryption in force',
      '## Failures in the period',
      '## Audit trail',
    ]) {
      expect(md).toContain(h);
    }
    expect(md).toMatch(/\| local \| 1 \| 1 \| 10\.00 h \| ✔ met \|/);
  });
});

describe('parseSince', () => {
  it('reads ISO dates and ages, and refuses anything else with a hint', () => {
    expect(parseSince('2026-01-02').toISOString()).toBe('2026-01-02T00:00:00.000Z');
    expect(parseSince('30d', NOW).toISOString()).toBe('2026-05-11T12:00:00.000Z');
    expect(parseSince('12h', NOW).toISOString()).toBe('2026-06-10T00:00:00.000Z');
    expect(() => parseSince('last tuesday')).toThrow(/--since "last tuesday" is not a date[\s\S]*30d/);
    expect(() => parseSince('2026-13-45')).toThrow(/is not a date/);
  });
});
