import type { CleanupReport } from './cleanup.types';
import { AuditFacts } from '../audit/audit.types';
import { joinOrNull, outcomeOf, sum } from '../audit/audit.facts';

/** The audit record's facts of a finished cleanup (AuditTrail, `audited`). */
export function cleanFacts(report: CleanupReport): AuditFacts {
  const errors = report.destinations.flatMap((d) => [
    ...(d.error ? [`${d.destination}: ${d.error}`] : []),
    ...d.failed.map((f) => `${d.destination}: could not delete ${f.key}: ${f.error}`),
  ]);
  return {
    outcome: outcomeOf(report.destinations.map((d) => d.ok)),
    destination: joinOrNull(report.destinations.map((d) => d.destination)),
    sizeBytes: sum(report.destinations.flatMap((d) => d.deleted.map((x) => x.size))),
    error: errors.length ? errors.join('; ') : null,
    details: {
      dryRun: report.dryRun,
      destinations: report.destinations.map((d) => ({
        disk: d.destination,
        ok: d.ok,
        deleted: d.deleted.map((x) => ({ key: x.key, size: x.size, reason: x.reason })),
        failed: d.failed.length,
        countAfter: d.countAfter,
        usedBytesAfter: d.usedBytesAfter,
      })),
    },
  };
}
