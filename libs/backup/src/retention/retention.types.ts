/** One archive on one destination, as the retention plan sees it. */
export interface RetentionCandidate {
  /** Object key, e.g. "my-app/2026-11-21-02-00-00.zip". Unique within one plan. */
  key: string;
  /** When the backup was made (from its file name; last-modified as a fallback), UTC. */
  date: Date;
  /** Size in bytes. */
  size: number;
}

/**
 * BACKUP_KEEP_* and friends. Periods are whole numbers (0 switches a period off); the cap is
 * in MiB (1024 · 1024 bytes).
 */
export interface RetentionOptions {
  /** BACKUP_KEEP_ALL_DAYS: every backup newer than now − this many days is kept. */
  keepAllDays: number;
  /** BACKUP_KEEP_DAILY_DAYS: then the newest backup per UTC day, for this many days. */
  keepDailyDays: number;
  /** BACKUP_KEEP_WEEKLY_WEEKS: then the newest per ISO week, for this many weeks. */
  keepWeeklyWeeks: number;
  /** BACKUP_KEEP_MONTHLY_MONTHS: then the newest per calendar month, for this many months. */
  keepMonthlyMonths: number;
  /** BACKUP_KEEP_YEARLY_YEARS: then the newest per calendar year, for this many years. */
  keepYearlyYears: number;
  /** BACKUP_DELETE_OLDEST_WHEN_USING_MORE_MB: storage cap in MiB; null/undefined = no cap. */
  deleteOldestWhenUsingMoreMb?: number | null;
  /** BACKUP_MAX_COUNT: at most this many backups remain; null/undefined = no limit. */
  maxCount?: number | null;
}

/** What to keep and what to delete, with a human reason for every key. */
export interface RetentionPlan {
  /** Keys to keep, newest first. Always contains the newest (not future-dated) backup when there is one. */
  keep: string[];
  /** Keys to delete, newest first. */
  delete: string[];
  /**
   * Keys dated beyond now + FUTURE_DATE_ALLOWANCE_MS, newest first: set aside before any rule,
   * so they are neither kept in place of a real backup nor deleted (a person decides).
   */
  futureDated: string[];
  /** key → why it is kept, deleted or set aside (period, size cap, max count, future date). */
  reasons: Record<string, string>;
}
