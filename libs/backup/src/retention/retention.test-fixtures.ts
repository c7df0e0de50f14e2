// Shared by the retention specs and the catalog end-to-end fixtures; excluded from the build.
import { RetentionCandidate, RetentionOptions } from './retention.types';

export const HOUR = 3600_000;
export const DAY = 24 * HOUR;
export const MIB = 1024 * 1024;

/** Key = the ISO date, so expectations read as dates. */
export const at = (isoDate: string, size = 1): RetentionCandidate => ({ key: isoDate, date: new Date(isoDate), size });

/** spatie/laravel-backup's own defaults (7/16/8/4/2), which its test scenario uses. */
export const SPATIE_DEFAULTS: RetentionOptions = {
  keepAllDays: 7,
  keepDailyDays: 16,
  keepWeeklyWeeks: 8,
  keepMonthlyMonths: 4,
  keepYearlyYears: 2,
  deleteOldestWhenUsingMoreMb: null,
};

export const NO_PERIODS: RetentionOptions = {
  keepAllDays: 0,
  keepDailyDays: 0,
  keepWeeklyWeeks: 0,
  keepMonthlyMonths: 0,
  keepYearlyYears: 0,
};

/** mulberry32: a tiny seeded PRNG so every run checks the same "random" cases (and a failure replays). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
