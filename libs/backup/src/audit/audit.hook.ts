import type { RunReport, RunRequest } from '../backup/backup-run.types';
import type { CleanupReport } from '../cleanup/cleanup.types';
import type { HealthReport } from '../health/health.types';
import type { RestoreReport } from '../restore/restore.types';
import type { TenantExportReport } from '../tenant/export/tenant-export.types';
import type { TenantRestoreReport } from '../tenant/restore/tenant-restore.types';
import type { VerifyResult } from '../verify/verify.events';
import { AuditEntry, AuditFacts, AuditOperation, AuditOutcome } from './audit.types';

/**
 * The small surface the services see: a token and `audited(...)`. Kept free of runtime imports
 * of the services (type imports only), so services and the trail never form an import cycle.
 */
export const AUDIT_TRAIL = 'BACKUP_AUDIT_TRAIL';

/** What `audited` needs from the AuditTrail. */
export interface AuditRecorder {
  record(entry: AuditEntry, extraSecrets?: Array<string | undefined>): Promise<unknown>;
}

/** Facts known before the operation ran: used for the record when it throws. */
export interface AuditContext {
  destination?: string;
  backupName?: string;
  /** Secrets of this call only (a tenant export's own password), redacted like the configured ones. */
  secrets?: Array<string | undefined>;
}

/**
 * Runs `fn` and appends one audit record with its start and end time: the facts `describe`
 * reads from the result, or outcome "failure" with the (redacted) error when it throws. The
 * error is re-thrown unchanged; without a recorder `fn` simply runs.
 *
 * @example return audited(this.audit, 'run', () => this.runAll(request), (r) => runFacts(r));
 */
export async function audited<T>(
  recorder: AuditRecorder | undefined,
  operation: AuditOperation,
  fn: () => Promise<T>,
  describe: (result: T) => AuditFacts,
  context: AuditContext = {},
): Promise<T> {
  if (!recorder) return fn();
  const startedAt = new Date();
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    await recorder.record(
      {
        operation,
        startedAt,
        finishedAt: new Date(),
        outcome: 'failure',
        destination: context.destination ?? null,
        backupName: context.backupName ?? null,
        error: err instanceof Error ? err.message : String(err),
      },
      context.secrets,
    );
    throw err;
  }
  await recorder.record({ operation, startedAt, finishedAt: new Date(), ...describe(result) }, context.secrets);
  return result;
}

function outcomeOf(results: boolean[]): AuditOutcome {
  if (results.length > 0 && results.every(Boolean)) return 'success';
  return results.some(Boolean) ? 'partial' : 'failure';
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
const joinOrNull = (values: Array<string | undefined>): string | null => [...new Set(values.filter((v): v is string => !!v))].join(',') || null;

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

export function verifyFacts(result: VerifyResult): AuditFacts {
  const errors = result.backups
    .filter((b) => !b.ok)
    .map((b) => `${b.backupName}: ${b.error ?? [...b.faults.map((f) => f.message), ...(b.testRestore ?? []).filter((t) => !t.ok).map((t) => t.error ?? `row counts of ${t.database} differ`)].join('; ')}`);
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
      databases: report.databases.map((d) => ({ connection: d.connection, driver: d.driver, target: d.targetDatabase, inPlace: d.inPlace, ok: d.ok })),
      files: report.files ? { count: report.files.count, target: report.files.target, inPlace: report.files.inPlace } : null,
    },
  };
}

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
