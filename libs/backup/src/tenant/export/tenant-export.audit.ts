import type { TenantExportReport } from './tenant-export.types';
import { AuditFacts } from '../../audit/audit.types';
import { sum } from '../../audit/audit.facts';

/** The audit record's facts of a finished tenant export (AuditTrail, `audited`). */
export function tenantExportFacts(report: TenantExportReport): AuditFacts {
  return {
    outcome: 'success',
    destination: report.disk,
    backupName: report.key,
    sizeBytes: report.bytes,
    rowCount: sum(Object.values(report.tables)),
    details: { tenantId: report.tenantId, encrypted: report.encrypted, files: report.files, tables: report.tables },
  };
}
