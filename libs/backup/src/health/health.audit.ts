import type { HealthReport } from './health.types';
import { AuditFacts } from '../audit/audit.types';
import { joinOrNull, outcomeOf } from '../audit/audit.facts';

/** The audit record's facts of a finished health check (AuditTrail, `audited`). */
export function monitorFacts(report: HealthReport): AuditFacts {
  const failures = report.destinations.flatMap((d) => d.failures.map((f) => `${d.destination}: ${f.check}: ${f.message}`));
  return {
    outcome: outcomeOf(report.destinations.map((d) => d.healthy)),
    destination: joinOrNull(report.destinations.map((d) => d.destination)),
    error: failures.length ? failures.join('; ') : null,
    details: {
      destinations: report.destinations.map((d) => ({ disk: d.destination, healthy: d.healthy, failures: d.failures })),
    },
  };
}
