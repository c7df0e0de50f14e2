import type { RetentionSettings } from '../config/backup-options.interface';
import { AuditRecord, AUDIT_OPERATIONS, ReportedOperation } from './audit.types';

/** What the report is built from besides the records. */
export interface ComplianceInput {
  appName: string;
  now: Date;
  since: Date;
  disks: string[];
  rpoHours: number;
  rtoHours: number;
  retention: RetentionSettings;
  encryption: 'aes256' | 'none';
  sources: string[];
  problems: string[];
}

export type Verdict = 'met' | 'missed' | 'not measured';

export interface DestinationCompliance {
  destination: string;
  backups: { made: number; failed: number };
  newestBackup: { name: string; at: string; ageHours: number } | null;
  rpo: { objectiveHours: number; ageHours: number | null; verdict: Verdict };
  lastVerification: { at: string; backupName: string; testRestore: boolean } | null;
  lastTestRestore: { at: string; backupName: string; durationMs: number } | null;
  lastRestore: { at: string; backupName: string; durationMs: number } | null;
  rto: { objectiveHours: number; measuredMs: number | null; measuredBy: 'restore' | 'test restore' | null; verdict: Verdict };
  cleanups: { runs: number; failed: number; deleted: number };
  monitoring: { runs: number; unhealthy: number };
}

export interface ReportedFailure {
  at: string;
  operation: ReportedOperation;
  outcome: 'failure' | 'partial';
  destination: string | null;
  backupName: string | null;
  error: string | null;
  user: string;
  host: string;
}

/** `backup:report --format json`: what an auditor is handed. */
export interface ComplianceReport {
  appName: string;
  generatedAt: string;
  period: { since: string; until: string };
  objectives: { rpoHours: number; rtoHours: number; rpoMet: boolean; rtoMet: boolean };
  destinations: DestinationCompliance[];
  operations: Record<ReportedOperation, { success: number; partial: number; failure: number }>;
  retention: RetentionSettings & { description: string };
  encryption: { mode: 'aes256' | 'none'; description: string; unencryptedBackupsInPeriod: number };
  failures: ReportedFailure[];
  auditTrail: { sources: string[]; problems: string[]; recordsInPeriod: number };
}

interface RunDestination {
  disk: string;
  ok: boolean;
  key?: string;
  sizeBytes?: number | null;
}

const HOUR = 3_600_000;
const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** Builds the report from audit records (all of them: the newest backup may predate the period). */
export function buildComplianceReport(allRecords: AuditRecord[], input: ComplianceInput): ComplianceReport {
  // Admin API requests are access records, not backup operations: the report leaves them out.
  const records = allRecords.filter((r): r is AuditRecord & { operation: ReportedOperation } =>
    (AUDIT_OPERATIONS as readonly string[]).includes(r.operation),
  );
  const since = input.since.toISOString();
  const until = input.now.toISOString();
  const inPeriod = records
    .filter((r) => r.startedAt >= since && r.startedAt <= until)
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  const disks = [...new Set([...input.disks, ...inPeriod.flatMap((r) => destinationsOf(r))])];
  const destinations = disks.map((disk) => destinationCompliance(disk, records, inPeriod, input));

  const operations = Object.fromEntries(
    AUDIT_OPERATIONS.map((op) => [op, { success: 0, partial: 0, failure: 0 }]),
  ) as ComplianceReport['operations'];
  for (const r of inPeriod) operations[r.operation][r.outcome]++;

  return {
    appName: input.appName,
    generatedAt: until,
    period: { since, until },
    objectives: {
      rpoHours: input.rpoHours,
      rtoHours: input.rtoHours,
      rpoMet: destinations.every((d) => d.rpo.verdict === 'met'),
      rtoMet: destinations.some((d) => d.rto.verdict === 'met') && destinations.every((d) => d.rto.verdict !== 'missed'),
    },
    destinations,
    operations,
    retention: { ...input.retention, description: describeRetention(input.retention) },
    encryption: {
      mode: input.encryption,
      description:
        input.encryption === 'aes256'
          ? 'WinZip AES-256 (AE-2) per entry: PBKDF2-HMAC-SHA1 key, AES-256-CTR, HMAC-SHA1 authentication; the password is never stored'
          : 'NONE: archives are written unencrypted (BACKUP_ENCRYPTION=none)',
      unencryptedBackupsInPeriod: inPeriod.filter(
        (r) => r.operation === 'run' && r.outcome !== 'failure' && r.details?.encryption === 'none',
      ).length,
    },
    failures: inPeriod
      .filter((r): r is AuditRecord & { operation: ReportedOperation; outcome: 'failure' | 'partial' } => r.outcome !== 'success')
      .map((r) => ({
        at: r.startedAt,
        operation: r.operation,
        outcome: r.outcome,
        destination: r.destination,
        backupName: r.backupName,
        error: r.error,
        user: r.user,
        host: r.host,
      })),
    auditTrail: { sources: input.sources, problems: input.problems, recordsInPeriod: inPeriod.length },
  };
}

function destinationCompliance(disk: string, all: AuditRecord[], inPeriod: AuditRecord[], input: ComplianceInput): DestinationCompliance {
  const runsHere = (records: AuditRecord[]) =>
    records
      .filter((r) => r.operation === 'run')
      .flatMap((r) =>
        runDestinations(r)
          .filter((d) => d.disk === disk)
          .map((d) => ({ record: r, d })),
      );
  const periodRuns = runsHere(inPeriod);
  const newest = runsHere(all)
    .filter((x) => x.d.ok)
    .sort((a, b) => b.record.finishedAt.localeCompare(a.record.finishedAt))[0];
  const exactAge = newest ? (input.now.getTime() - Date.parse(newest.record.finishedAt)) / HOUR : null;
  const ageHours = exactAge === null ? null : round(exactAge);

  const here = (r: AuditRecord) => destinationsOf(r).includes(disk);
  const newestFirst = all.filter(here).sort((a, b) => b.finishedAt.localeCompare(a.finishedAt));
  const verification = newestFirst.find((r) => r.operation === 'verify' && r.outcome === 'success');
  const testRestore = newestFirst
    .filter((r) => r.operation === 'verify')
    .flatMap((r) =>
      verifiedBackups(r)
        .filter((b) => b.testRestore && b.testRestoreOk)
        .map((b) => ({ r, b })),
    )[0];
  const restore = newestFirst.find((r) => r.operation === 'restore' && r.outcome === 'success' && r.details?.dryRun !== true);

  const measured = restore
    ? { ms: restore.durationMs, by: 'restore' as const }
    : testRestore
      ? { ms: Number(testRestore.b.testRestoreMs ?? testRestore.r.durationMs), by: 'test restore' as const }
      : null;

  const periodHere = inPeriod.filter(here);
  const cleanups = periodHere.filter((r) => r.operation === 'clean' && r.details?.dryRun !== true);
  const monitors = periodHere.filter((r) => r.operation === 'monitor');
  return {
    destination: disk,
    backups: { made: periodRuns.filter((x) => x.d.ok).length, failed: periodRuns.filter((x) => !x.d.ok).length },
    newestBackup: newest
      ? { name: newest.d.key ?? newest.record.backupName ?? '', at: newest.record.finishedAt, ageHours: ageHours! }
      : null,
    rpo: {
      objectiveHours: input.rpoHours,
      ageHours,
      verdict: exactAge === null ? 'missed' : exactAge <= input.rpoHours ? 'met' : 'missed',
    },
    lastVerification: verification
      ? {
          at: verification.finishedAt,
          backupName: verification.backupName ?? '',
          testRestore: verifiedBackups(verification).some((b) => b.testRestore),
        }
      : null,
    lastTestRestore: testRestore
      ? { at: testRestore.r.finishedAt, backupName: String(testRestore.b.backupName), durationMs: Number(testRestore.b.testRestoreMs ?? 0) }
      : null,
    lastRestore: restore ? { at: restore.finishedAt, backupName: restore.backupName ?? '', durationMs: restore.durationMs } : null,
    rto: {
      objectiveHours: input.rtoHours,
      measuredMs: measured?.ms ?? null,
      measuredBy: measured?.by ?? null,
      verdict: !measured ? 'not measured' : measured.ms <= input.rtoHours * HOUR ? 'met' : 'missed',
    },
    cleanups: {
      runs: cleanups.length,
      failed: cleanups.filter((r) => r.outcome !== 'success').length,
      deleted: cleanups.reduce(
        (n, r) => n + perDisk(r, disk).reduce((m, d) => m + (Array.isArray(d.deleted) ? d.deleted.length : 0), 0),
        0,
      ),
    },
    monitoring: {
      runs: monitors.length,
      unhealthy: monitors.filter(
        (r) => perDisk(r, disk).some((d) => d.healthy === false) || (r.outcome === 'failure' && perDisk(r, disk).length === 0),
      ).length,
    },
  };
}

/** The disks a record concerns: its per-destination details, else its destination column. */
function destinationsOf(r: AuditRecord): string[] {
  const fromDetails = (Array.isArray(r.details?.destinations) ? (r.details.destinations as Array<{ disk?: string }>) : [])
    .map((d) => d.disk)
    .filter((d): d is string => !!d);
  return fromDetails.length ? fromDetails : (r.destination ?? '').split(',').filter(Boolean);
}

function runDestinations(r: AuditRecord): RunDestination[] {
  const list = Array.isArray(r.details?.destinations) ? (r.details.destinations as RunDestination[]) : [];
  if (list.length) return list;
  return destinationsOf(r).map((disk) => ({ disk, ok: r.outcome === 'success', key: r.backupName ?? undefined }));
}

function perDisk(r: AuditRecord, disk: string): Array<Record<string, unknown>> {
  return (Array.isArray(r.details?.destinations) ? (r.details.destinations as Array<Record<string, unknown>>) : []).filter(
    (d) => d.disk === disk,
  );
}

function verifiedBackups(
  r: AuditRecord,
): Array<{ backupName?: string; testRestore?: boolean; testRestoreOk?: boolean | null; testRestoreMs?: number | null }> {
  return Array.isArray(r.details?.backups) ? (r.details.backups as never) : [];
}

export function describeRetention(r: RetentionSettings): string {
  const parts = [
    `all backups for ${r.keepAllDays} day(s)`,
    `then one per day for ${r.keepDailyDays} day(s)`,
    `one per week for ${r.keepWeeklyWeeks} week(s)`,
    `one per month for ${r.keepMonthlyMonths} month(s)`,
    `one per year for ${r.keepYearlyYears} year(s)`,
  ];
  const caps = [
    r.deleteOldestWhenUsingMoreMb !== null ? `oldest deleted above ${r.deleteOldestWhenUsingMoreMb} MB` : 'no size cap',
    r.maxCount !== null ? `at most ${r.maxCount} backups per disk` : 'no count cap',
  ];
  return `Keep ${parts.join(', ')}; ${caps.join('; ')}. The newest backup is never deleted.`;
}
