import type { VerifyResult } from './verify.events';
import { AuditFacts } from '../audit/audit.types';
import { joinOrNull, outcomeOf, sum } from '../audit/audit.facts';

/** The audit record's facts of a finished verify (AuditTrail, `audited`). */
export function verifyFacts(result: VerifyResult): AuditFacts {
  const errors = result.backups
    .filter((b) => !b.ok)
    .map(
      (b) =>
        `${b.backupName}: ${b.error ?? [...b.faults.map((f) => f.message), ...(b.testRestore ?? []).filter((t) => !t.ok).map((t) => t.error ?? `row counts of ${t.database} differ`)].join('; ')}`,
    );
  const restored = result.backups.flatMap((b) => b.testRestore ?? []);
  return {
    outcome: outcomeOf(result.backups.map((b) => b.ok)),
    destination: result.destination,
    backupName: joinOrNull(result.backups.map((b) => b.backupName)),
    sizeBytes: sum(result.backups.map((b) => b.sizeBytes)),
    rowCount: restored.length ? sum(restored.flatMap((t) => t.tables.map((x) => x.actual ?? 0))) : null,
    error: errors.length ? errors.join('; ') : null,
    details: {
      backups: result.backups.map((b) => ({
        backupName: b.backupName,
        ok: b.ok,
        entriesChecked: b.entriesChecked,
        testRestore: !!b.testRestore,
        testRestoreOk: b.testRestore ? b.testRestore.every((t) => t.ok) : null,
        testRestoreMs: b.testRestoreMs ?? null,
        scratchDropped: b.testRestore ? b.testRestore.every((t) => t.scratchDropped) : null,
      })),
    },
  };
}
