import { RetentionConfigError } from './retention.error';
import { FUTURE_DATE_ALLOWANCE_MS, isFutureDated } from './retention.constants';
import { RetentionCandidate, RetentionOptions, RetentionPlan } from './retention.types';
import { isoWeekKey, subtractDaysUtc, subtractMonthsUtc, subtractYearsUtc, utcDayKey, utcMonthKey, utcYearKey } from './utc-calendar';

// Framework-free on purpose: the strategy is tested and reused without Nest.

interface Period {
  name: 'daily' | 'weekly' | 'monthly' | 'yearly';
  unit: 'day' | 'ISO week' | 'month' | 'year';
  /** Recent end (inclusive). */
  start: Date;
  /** Older end (inclusive). */
  end: Date;
  groupKey: (date: Date) => string;
}

const MIB = 1024 * 1024;
const iso = (d: Date) => d.toISOString();

/**
 * Decides which backups of one backup name on one destination survive: spatie/laravel-backup's
 * DefaultStrategy (grandfather-father-son), with two PHP quirks fixed on purpose (ISO
 * week-year grouping, clamped month subtraction). Pure: same input, same plan. All times UTC.
 *
 * Order of the rules:
 * 0. Backups dated after now + FUTURE_DATE_ALLOWANCE_MS (5 min of clock skew) are set aside in
 *    `futureDated`: not the newest, not counted by the cap or the count, never deleted.
 * 1. Sort newest first (ties: larger key first). The newest backup is set aside and never deleted.
 * 2. Backups newer than `now − keepAllDays` (the keep-all window) are kept.
 * 3. Daily, weekly (ISO week-year + week), monthly and yearly periods, each [end, start] with
 *    both ends included: per group the newest is kept, the others deleted. A backup on a
 *    boundary lies in both periods and survives only if it is the newest of its group in both.
 * 4. Every backup strictly older than the yearly end is deleted.
 * 5. Size cap: while (remaining deletable + newest) bytes > cap MiB (strictly), delete the
 *    oldest remaining one. The newest counts toward the total but is never deleted.
 * 6. Max count (BACKUP_MAX_COUNT): delete the oldest remaining until at most maxCount remain
 *    (the newest included and never deleted, so at least one always remains).
 *
 * @example planRetention(backups, new Date(), DEFAULT_RETENTION).delete
 */
export function planRetention(backups: RetentionCandidate[], now: Date, options: RetentionOptions): RetentionPlan {
  validateRetentionOptions(options);
  validateInput(backups, now);

  const all = [...backups].sort((a, b) => b.date.getTime() - a.date.getTime() || (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
  const reasons: Record<string, string> = {};
  // A 3-byte "2099-…" object would otherwise be the newest (never deleted) and push the real
  // backups out under BACKUP_MAX_COUNT.
  const futureDated = all.filter((b) => isFutureDated(b.date, now)).map((b) => b.key);
  for (const key of futureDated) {
    reasons[key] =
      `dated after ${iso(now)} + ${FUTURE_DATE_ALLOWANCE_MS / 60_000} min of clock skew: not written by this clock; ` +
      'set aside (not counted, not deleted)';
  }
  const sorted = all.filter((b) => !isFutureDated(b.date, now));
  if (sorted.length === 0) return { keep: [], delete: [], futureDated, reasons };

  const [newest, ...rest] = sorted;
  reasons[newest.key] = 'newest backup: never deleted';

  const periods = buildPeriods(now, options);
  const daily = periods[0];
  const yearlyEnd = periods[periods.length - 1].end;
  const deleted = new Set<string>();

  for (const backup of rest) {
    if (backup.date.getTime() > daily.start.getTime()) {
      reasons[backup.key] = `inside the keep-all window (newer than ${iso(daily.start)}, ${options.keepAllDays} days)`;
    }
  }

  for (const period of periods) applyPeriod(period, rest, deleted, reasons);

  for (const backup of rest) {
    if (!deleted.has(backup.key) && backup.date.getTime() < yearlyEnd.getTime()) {
      deleted.add(backup.key);
      reasons[backup.key] = `older than the end of the yearly period (${iso(yearlyEnd)})`;
    }
  }

  // Oldest first from here on: the cap and the count both delete the oldest survivor first.
  const survivorsOldestFirst = rest.filter((b) => !deleted.has(b.key)).reverse();

  const capMb = options.deleteOldestWhenUsingMoreMb;
  if (capMb !== null && capMb !== undefined) {
    const capBytes = capMb * MIB;
    let total = newest.size + survivorsOldestFirst.reduce((sum, b) => sum + b.size, 0);
    while (survivorsOldestFirst.length > 0 && total > capBytes) {
      const oldest = survivorsOldestFirst.shift()!;
      deleted.add(oldest.key);
      reasons[oldest.key] = `size cap: ${total} bytes used (newest included) is more than ${capMb} MiB; oldest deleted first`;
      total -= oldest.size;
    }
  }

  const maxCount = options.maxCount;
  if (maxCount !== null && maxCount !== undefined) {
    while (survivorsOldestFirst.length > 0 && survivorsOldestFirst.length + 1 > maxCount) {
      const oldest = survivorsOldestFirst.shift()!;
      deleted.add(oldest.key);
      reasons[oldest.key] =
        `max count: ${survivorsOldestFirst.length + 2} backups remained, at most ${maxCount} allowed; oldest deleted first`;
    }
  }

  return {
    keep: sorted.filter((b) => !deleted.has(b.key)).map((b) => b.key),
    delete: sorted.filter((b) => deleted.has(b.key)).map((b) => b.key),
    futureDated,
    reasons,
  };
}

function buildPeriods(now: Date, o: RetentionOptions): Period[] {
  const dailyStart = subtractDaysUtc(now, o.keepAllDays);
  const dailyEnd = subtractDaysUtc(dailyStart, o.keepDailyDays);
  const weeklyEnd = subtractDaysUtc(dailyEnd, o.keepWeeklyWeeks * 7);
  const monthlyEnd = subtractMonthsUtc(weeklyEnd, o.keepMonthlyMonths);
  const yearlyEnd = subtractYearsUtc(monthlyEnd, o.keepYearlyYears);
  return [
    { name: 'daily', unit: 'day', start: dailyStart, end: dailyEnd, groupKey: utcDayKey },
    { name: 'weekly', unit: 'ISO week', start: dailyEnd, end: weeklyEnd, groupKey: isoWeekKey },
    { name: 'monthly', unit: 'month', start: weeklyEnd, end: monthlyEnd, groupKey: utcMonthKey },
    { name: 'yearly', unit: 'year', start: monthlyEnd, end: yearlyEnd, groupKey: utcYearKey },
  ];
}

/** `newestFirst` is sorted newest first, so the first backup met per group is the one kept. */
function applyPeriod(period: Period, newestFirst: RetentionCandidate[], deleted: Set<string>, reasons: Record<string, string>): void {
  const keptPerGroup = new Map<string, RetentionCandidate>();
  const range = `${iso(period.end)} … ${iso(period.start)}`;
  for (const backup of newestFirst) {
    const t = backup.date.getTime();
    if (t < period.end.getTime() || t > period.start.getTime()) continue;
    const group = period.groupKey(backup.date);
    const kept = keptPerGroup.get(group);
    if (!kept) {
      keptPerGroup.set(group, backup);
      if (!deleted.has(backup.key)) {
        const earlier = reasons[backup.key];
        const own = `newest of ${period.unit} ${group} in the ${period.name} period (${range})`;
        reasons[backup.key] = earlier ? `${earlier}; ${own}` : own;
      }
    } else if (!deleted.has(backup.key)) {
      deleted.add(backup.key);
      reasons[backup.key] = `${period.name} period (${range}): not the newest of ${period.unit} ${group} (kept ${kept.key})`;
    }
  }
}

export function validateRetentionOptions(o: RetentionOptions): void {
  const periods: Array<[keyof RetentionOptions, string]> = [
    ['keepAllDays', 'BACKUP_KEEP_ALL_DAYS'],
    ['keepDailyDays', 'BACKUP_KEEP_DAILY_DAYS'],
    ['keepWeeklyWeeks', 'BACKUP_KEEP_WEEKLY_WEEKS'],
    ['keepMonthlyMonths', 'BACKUP_KEEP_MONTHLY_MONTHS'],
    ['keepYearlyYears', 'BACKUP_KEEP_YEARLY_YEARS'],
  ];
  for (const [field, env] of periods) {
    const v = o?.[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw new RetentionConfigError(
        `${env} (${field}) must be a whole number of at least 0, got ${JSON.stringify(v)}`,
        `Set ${env} to a whole number such as 7; 0 switches that period off.`,
      );
    }
  }
  const cap = o.deleteOldestWhenUsingMoreMb;
  if (cap !== null && cap !== undefined && (typeof cap !== 'number' || !Number.isFinite(cap) || cap < 0)) {
    throw new RetentionConfigError(
      `BACKUP_DELETE_OLDEST_WHEN_USING_MORE_MB must be a number of MiB of at least 0, got ${JSON.stringify(cap)}`,
      'Set it to e.g. 10240, or leave it unset for no storage cap.',
    );
  }
  const max = o.maxCount;
  if (max !== null && max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1)) {
    throw new RetentionConfigError(
      `BACKUP_MAX_COUNT must be a whole number of at least 1 (the newest backup is always kept), got ${JSON.stringify(max)}`,
      'Set it to e.g. 10, or leave it unset for no limit.',
    );
  }
}

function validateInput(backups: RetentionCandidate[], now: Date): void {
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new RetentionConfigError('The retention plan needs a valid "now" date.', 'Pass a Date, e.g. new Date().');
  }
  const seen = new Set<string>();
  for (const b of backups) {
    if (!(b.date instanceof Date) || Number.isNaN(b.date.getTime())) {
      throw new RetentionConfigError(
        `Backup ${b.key} has no valid date.`,
        "Date backups from their file name, or from the stored object's last-modified time.",
      );
    }
    if (typeof b.size !== 'number' || !Number.isFinite(b.size) || b.size < 0) {
      throw new RetentionConfigError(`Backup ${b.key} has no valid size (${String(b.size)}).`, 'Pass the stored size in bytes.');
    }
    if (seen.has(b.key)) {
      throw new RetentionConfigError(`Backup ${b.key} is listed twice.`, 'Plan one destination at a time and pass each key once.');
    }
    seen.add(b.key);
  }
}
