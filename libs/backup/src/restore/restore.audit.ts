import type { RestoreReport } from './restore.types';
import { AuditFacts } from '../audit/audit.types';
import { sum } from '../audit/audit.facts';

/** The audit record's facts of a finished restore (AuditTrail, `audited`). */
export function restoreFacts(report: RestoreReport): AuditFacts {
  const failed = report.databases.filter((d) => !d.ok).map((d) => `row counts of ${d.targetDatabase} differ from the backup`);
  return {
    outcome: report.ok ? 'success' : 'failure',
    destination: report.disk,
    backupName: report.backup,
    sizeBytes: report.verified.bytes,
    rowCount: report.dryRun ? null : sum(report.databases.flatMap((d) => d.checks.map((c) => c.actual ?? 0))),
    error: failed.length ? failed.join('; ') : null,
    details: {
      dryRun: report.dryRun,
      backupCreatedAt: report.backupCreatedAt,
      safetyBackup: report.safetyBackup ?? null,
      databases: report.databases.map((d) => ({
        connection: d.connection,
        driver: d.driver,
        target: d.targetDatabase,
        inPlace: d.inPlace,
        ok: d.ok,
      })),
      files: report.files ? { count: report.files.count, target: report.files.target, inPlace: report.files.inPlace } : null,
    },
  };
}
