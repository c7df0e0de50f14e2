import { BackupEntry, StrangerEntry } from '../catalog/backup-entry';
import { BackupDestination } from '../destinations/destination.interface';

/** What a health check gets to look at: one destination and this app's backups on it. */
export interface HealthCheckContext {
  destination: BackupDestination;
  /** This app's backups on the destination, newest first (empty when there are none). */
  backups: BackupEntry[];
  /** Objects named like backups but not counted (future-dated, too small), newest first. */
  strangers?: StrangerEntry[];
  /** The moment the monitor runs; compare ages against it, not against the clock. */
  now: Date;
}

/**
 * One rule a destination's backups must satisfy. `check` resolves to a message saying what is
 * wrong (the destination is then unhealthy) or to nothing when all is well. A check that throws
 * counts as failed, with the error as its message.
 *
 * @example
 * class HasWeeklyRestoreDrill implements HealthCheck {
 *   readonly name = 'restore-drill';
 *   async check({ now }: HealthCheckContext) {
 *     const last = await this.drills.lastSuccess();
 *     if (!last || now.getTime() - last.getTime() > 7 * 86_400_000) return 'No successful restore drill in 7 days';
 *   }
 * }
 */
export interface HealthCheck {
  /** Short id shown beside the message, e.g. "max-age". */
  readonly name: string;
  check(ctx: HealthCheckContext): Promise<string | null | void>;
}
