import type { RunReport, RunRequest } from './backup-run.types';
import { AuditFacts } from '../audit/audit.types';
import { joinOrNull, outcomeOf, sum } from '../audit/audit.facts';

/** The audit record's facts of a finished run (AuditTrail, `audited`). */
export function runFacts(report: RunReport, request: RunRequest, disks: string[]): AuditFacts {
  const destinations = report.destinations.length
    ? report.destinations.map((d) => ({ disk: d.disk, ok: d.ok, key: d.key, sizeBytes: d.sizeBytes ?? null, error: d.error ?? null }))
    : disks.map((disk) => ({ disk, ok: false, key: report.key, sizeBytes: null, error: report.error ?? 'failed' }));
  const failures = destinations.filter((d) => !d.ok).map((d) => `${d.disk}: ${d.error}`);
  return {
    outcome: report.error && report.destinations.every((d) => !d.ok) ? 'failure' : outcomeOf(destinations.map((d) => d.ok)),
    destination: joinOrNull(destinations.map((d) => d.disk)),
    backupName: report.key,
    sizeBytes: report.archiveBytes || null,
    rowCount: report.databases.length ? sum(report.databases.flatMap((d) => Object.values(d.tables))) : null,
    error: report.error ?? (failures.length ? failures.join('; ') : null),
    details: {
      destinations,
      databases: report.databases.map((d) => ({ driver: d.driver, database: d.database, tables: d.tables })),
      files: report.files,
      unreadableFiles: report.unreadableFiles.length,
      attempts: report.attempts ?? 1,
      stopped: report.stopped ?? null,
      scope: request.onlyDb ? 'db' : request.onlyFiles ? 'files' : 'full',
    },
  };
}
