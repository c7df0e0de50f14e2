import type { TenantRestoreReport } from './tenant-restore.types';
import { AuditFacts } from '../../audit/audit.types';
import { sum } from '../../audit/audit.facts';

/** The audit record's facts of a finished tenant restore (AuditTrail, `audited`). */
export function tenantRestoreFacts(report: TenantRestoreReport): AuditFacts {
  return {
    outcome: 'success',
    destination: report.source.disk,
    backupName: report.source.key,
    rowCount: report.dryRun ? null : sum(report.tables.map((t) => t.insert)),
    details: {
      tenantId: report.tenantId,
      dryRun: report.dryRun,
      source: report.source.kind,
      safetyExport: report.safetyExport ?? null,
      tables: report.tables,
      files: report.files,
    },
  };
}
