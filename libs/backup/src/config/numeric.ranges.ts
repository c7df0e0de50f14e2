import type { Env } from './env.types';

/** The values a numeric variable may take; `off` where the variable also accepts "off". */
export interface NumericRange {
  min: number;
  max: number;
  unit: string;
}

/** Node's timers fire at once for delays over 2^31 - 1 ms; seconds are multiplied by 1000. */
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/**
 * Every numeric variable and its range, checked at start-up after the format (whole number,
 * "off", …) has been checked by backup.environment.ts. Day, week, month and year counts are bounded
 * so that "now minus the period" stays a valid date; delays so that a timer can hold them.
 * MAIL_PORT (1–65535) is checked with the notification settings.
 */
export const NUMERIC_RANGES: Readonly<Record<string, NumericRange>> = {
  BACKUP_S3_PART_SIZE_MB: { min: 5, max: 5120, unit: 'MB' },
  BACKUP_COMPRESSION_LEVEL: { min: 0, max: 9, unit: '' },
  BACKUP_KEEP_ALL_DAYS: { min: 0, max: 36500, unit: 'days' },
  BACKUP_KEEP_DAILY_DAYS: { min: 0, max: 36500, unit: 'days' },
  BACKUP_KEEP_WEEKLY_WEEKS: { min: 0, max: 5200, unit: 'weeks' },
  BACKUP_KEEP_MONTHLY_MONTHS: { min: 0, max: 1200, unit: 'months' },
  BACKUP_KEEP_YEARLY_YEARS: { min: 0, max: 100, unit: 'years' },
  BACKUP_DELETE_OLDEST_WHEN_USING_MORE_MB: { min: 0, max: 1_000_000_000, unit: 'MB' },
  BACKUP_MAX_COUNT: { min: 1, max: 1_000_000, unit: 'backups' },
  BACKUP_MAX_AGE_DAYS: { min: 0, max: 36500, unit: 'days' },
  BACKUP_MAX_STORAGE_MB: { min: 0, max: 1_000_000_000, unit: 'MB' },
  BACKUP_TRIES: { min: 1, max: 99, unit: 'attempts' },
  BACKUP_RETRY_DELAY: { min: 0, max: MAX_TIMER_SECONDS, unit: 'seconds' },
  BACKUP_TIMEOUT: { min: 1, max: MAX_TIMER_SECONDS, unit: 'seconds' },
  // Objectives only need to be positive; a tiny one (a drill, a test) makes every record miss it.
  BACKUP_RPO_HOURS: { min: 0.000001, max: 876000, unit: 'hours' },
  BACKUP_RTO_HOURS: { min: 0.000001, max: 876000, unit: 'hours' },
};

/** "from 1 to 2147483 seconds" */
export function describeRange(r: NumericRange): string {
  return `from ${r.min} to ${r.max}${r.unit ? ` ${r.unit}` : ''}`;
}

/**
 * One problem per variable whose value is a number outside its range (skipping those in
 * `badFormat`, already reported, and "off").
 */
export function numericRangeProblems(env: Env, badFormat: ReadonlySet<string> = new Set()): string[] {
  const problems: string[] = [];
  for (const [name, range] of Object.entries(NUMERIC_RANGES)) {
    const value = env[name];
    if (value === undefined || value === '' || value === 'off' || badFormat.has(name)) continue;
    const n = Number(value);
    if (!Number.isFinite(n) || n < range.min || n > range.max) {
      problems.push(`${name}=${value} is out of range: use a value ${describeRange(range)}`);
    }
  }
  return problems;
}
