/**
 * UTC calendar arithmetic for the retention periods. Everything is UTC so a plan never depends
 * on the host's time zone or on daylight-saving changes.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

export function subtractDaysUtc(date: Date, days: number): Date {
  return new Date(date.getTime() - days * DAY_MS);
}

function daysInMonthUtc(year: number, monthIndex: number): number {
  return new Date(Date.UTC(year, monthIndex + 1, 0)).getUTCDate();
}

/**
 * Moves `months` calendar months back, keeping the time of day and clamping the day to the
 * target month's last day: 31 March − 1 month = 28/29 February. (PHP's subMonths overflows to
 * 2/3 March; this project fixes that on purpose.)
 */
export function subtractMonthsUtc(date: Date, months: number): Date {
  const total = date.getUTCFullYear() * 12 + date.getUTCMonth() - months;
  const year = Math.floor(total / 12);
  const monthIndex = total - year * 12;
  const day = Math.min(date.getUTCDate(), daysInMonthUtc(year, monthIndex));
  const result = new Date(date.getTime());
  result.setUTCFullYear(year, monthIndex, day);
  return result;
}

/** Years are 12 clamped months: 29 February 2024 − 1 year = 28 February 2023. */
export function subtractYearsUtc(date: Date, years: number): Date {
  return subtractMonthsUtc(date, years * 12);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** "2015-12-24" */
export function utcDayKey(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
}

/** "2015-12" */
export function utcMonthKey(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}`;
}

/** "2015" */
export function utcYearKey(date: Date): string {
  return String(date.getUTCFullYear());
}

/**
 * ISO 8601 week-year and week, e.g. "2020-W53" for both 2020-12-31 and 2021-01-01. (PHP's
 * "YW" pairs the calendar year with the ISO week and splits that week in two.)
 */
export function isoWeekKey(date: Date): string {
  const d = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const weekday = d.getUTCDay() || 7; // Monday 1 … Sunday 7
  d.setUTCDate(d.getUTCDate() + 4 - weekday); // the Thursday of this week decides the year
  const weekYear = d.getUTCFullYear();
  const week = Math.floor((d.getTime() - Date.UTC(weekYear, 0, 1)) / DAY_MS / 7) + 1;
  return `${weekYear}-W${pad(week)}`;
}
