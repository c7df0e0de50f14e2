import { HealthCheck, HealthCheckContext } from '../health-check.interface';
import { BUILT_IN_CHECKS } from '../health.constants';

/**
 * The destination answers (right endpoint, credentials, bucket; a writable local folder).
 * The HealthMonitor runs it first: when it fails, the other checks are skipped, since a
 * destination that cannot be reached says nothing about the age or size of its backups.
 */
export class ReachableCheck implements HealthCheck {
  readonly name = BUILT_IN_CHECKS.reachable;

  async check({ destination }: Pick<HealthCheckContext, 'destination'>): Promise<string | null> {
    try {
      await destination.checkReachable();
      return null;
    } catch (err) {
      return `${destination.name} (${destination.describe()}) is not reachable: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
}
