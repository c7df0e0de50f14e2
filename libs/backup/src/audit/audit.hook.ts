import { AuditEntry, AuditFacts, AuditOperation } from './audit.types';

/**
 * The small surface the services see: a token and `audited(...)`. It imports nothing of the
 * services: each feature describes its own record (`<feature>.audit.ts`), so audit/ only records.
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
