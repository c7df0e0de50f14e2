import { RetentionOptions } from './retention.types';

/** Injection token under which a host provides the RetentionOptions that RetentionPolicy uses. */
export const RETENTION_OPTIONS = 'NEST_BACKUP_RETENTION_OPTIONS';

/**
 * Seed 002's "hospital-grade" defaults: every backup for 7 days, dailies for 30 days, weeklies
 * for 12 weeks, monthlies for 12 months, yearlies for 7 years (audit), and a 10240 MiB cap
 * (BACKUP_MAX_STORAGE_MB). No maximum count unless BACKUP_MAX_COUNT is set.
 * spatie/laravel-backup's own defaults are 7 / 16 / 8 / 4 / 2 and 5000 MB.
 */
export const DEFAULT_RETENTION: Readonly<RetentionOptions> = Object.freeze({
  keepAllDays: 7,
  keepDailyDays: 30,
  keepWeeklyWeeks: 12,
  keepMonthlyMonths: 12,
  keepYearlyYears: 7,
  deleteOldestWhenUsingMoreMb: 10240,
  maxCount: null,
});

/**
 * How far after "now" a backup's name may be dated and still count as a backup: clocks of the
 * machines that write backups (several app instances, a CI runner) drift by seconds, not
 * minutes. A name dated later than now + 5 minutes was not written by this app's clock (a
 * typo, a test file, a stranger): it is never the newest backup, never counted, never deleted.
 */
export const FUTURE_DATE_ALLOWANCE_MS = 5 * 60_000;

/** True when `date` lies beyond the clock-skew allowance after `now`. */
export function isFutureDated(date: Date, now: Date): boolean {
  return date.getTime() > now.getTime() + FUTURE_DATE_ALLOWANCE_MS;
}
