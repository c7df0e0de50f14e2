import { HealthCheck, HealthCheckContext } from '../health-check.interface';
import { BUILT_IN_CHECKS } from '../health.constants';

/**
 * Nothing in the backups' folder is named for a date after now + 5 minutes of clock skew. Such
 * an object was not written by this app's clock; it is already left out of the count and the
 * newest backup (a "2099-…" stub would otherwise read "healthy, newest 72 years from now"), and
 * this check makes a person look at it: it may hide that backups stopped, or a wrong clock.
 */
export class FutureDatedCheck implements HealthCheck {
  readonly name = BUILT_IN_CHECKS.futureDated;

  async check({ destination, strangers }: HealthCheckContext): Promise<string | null> {
    const ahead = (strangers ?? []).filter((s) => s.kind === 'future-dated');
    if (ahead.length === 0) return null;
    const shown = ahead.slice(0, 3).map((s) => `${s.key} (${s.size} bytes, ${s.reason})`);
    const more = ahead.length > shown.length ? `; and ${ahead.length - shown.length} more` : '';
    return (
      `${ahead.length} object(s) on ${destination.name} dated in the future: ${shown.join('; ')}${more}. ` +
      'Not counted as backups and not deleted: check where they came from (or the clock of the machine that ' +
      'wrote them) and remove them by hand if they are not backups.'
    );
  }
}
