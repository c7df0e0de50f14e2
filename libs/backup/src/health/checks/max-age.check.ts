import { formatAge } from '../../listing/age.format';
import { HealthCheck, HealthCheckContext } from '../health-check.interface';
import { BUILT_IN_CHECKS } from '../health.constants';

const DAY_MS = 86_400_000;

/**
 * The newest backup is younger than BACKUP_MAX_AGE_DAYS (spatie's MaximumAgeInDays): a backup
 * exactly that old already fails. No backup at all always fails. A limit of 0 switches the age
 * limit off but still requires at least one backup.
 */
export class MaxAgeCheck implements HealthCheck {
  readonly name = BUILT_IN_CHECKS.maxAge;

  constructor(private readonly maxAgeDays: number) {}

  async check({ destination, backups, now }: HealthCheckContext): Promise<string | null> {
    const newest = backups[0];
    if (!newest) return `There are no backups on ${destination.name} at all.`;
    if (this.maxAgeDays > 0 && isTooOld(newest.date, now, this.maxAgeDays)) {
      return (
        `The newest backup on ${destination.name} is too old: ${newest.key} was made ${newest.date.toISOString()}, ` +
        `${formatAge(newest.date, now)}; the limit is ${this.maxAgeDays} day(s) (BACKUP_MAX_AGE_DAYS).`
      );
    }
    return null;
  }
}

function isTooOld(date: Date, now: Date, maxAgeDays: number): boolean {
  return now.getTime() - date.getTime() >= maxAgeDays * DAY_MS;
}
