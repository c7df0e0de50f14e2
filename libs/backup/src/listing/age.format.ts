import { subtractMonthsUtc } from '../retention/utc-calendar';
import { ListingFormatError } from './listing.error';

const MINUTE = 60_000;
const DAY = 1440 * MINUTE;

/**
 * A backup's age as `backup:list` shows it: "1.04 days (1 day ago)".
 *
 * Follows spatie/laravel-backup's Format::ageInDays: whole minutes between the dates divided by
 * 1440, rounded to two decimals, thousands separated by "," ("1,234.50"), then Carbon's
 * diffForHumans with one unit, truncated ("1 week ago" for 10 days). spatie prints the number
 * without a unit ("1.04 (1 day ago)"); this library adds "days" as issue 4 asks.
 * A date after `now` (clock skew) reads "… from now".
 */
export function formatAge(date: Date, now: Date = new Date()): string {
  for (const d of [date, now]) {
    if (!(d instanceof Date) || Number.isNaN(d.getTime())) {
      throw new ListingFormatError(`Cannot format the age of ${String(d)}.`, 'Pass a valid Date.');
    }
  }
  const minutes = Math.floor(Math.abs(now.getTime() - date.getTime()) / MINUTE);
  const days = (Math.round(Number(((minutes * 100) / 1440).toPrecision(15))) / 100).toLocaleString('en-US', {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  });
  return `${days} days (${diffForHumans(date, now)})`;
}

/**
 * Carbon-style relative time with one unit: "3 hours ago", "2 months ago", "1 second from now".
 * Years and months are calendar months (a month after 31 January is 28/29 February); smaller
 * units are truncated, never rounded up. Zero reads "1 second ago", as Carbon's does.
 */
export function diffForHumans(date: Date, now: Date = new Date()): string {
  const past = date.getTime() <= now.getTime();
  const [from, to] = past ? [date, now] : [now, date];

  let months = (to.getUTCFullYear() - from.getUTCFullYear()) * 12 + (to.getUTCMonth() - from.getUTCMonth());
  while (months > 0 && subtractMonthsUtc(from, -months).getTime() > to.getTime()) months--;
  const rest = to.getTime() - subtractMonthsUtc(from, -months).getTime();
  const days = Math.floor(rest / DAY);

  const parts: Array<[number, string]> = [
    [Math.floor(months / 12), 'year'],
    [months % 12, 'month'],
    [Math.floor(days / 7), 'week'],
    [days, 'day'],
    [Math.floor(rest / 3_600_000), 'hour'],
    [Math.floor(rest / MINUTE), 'minute'],
    [Math.floor(rest / 1000), 'second'],
  ];
  const [count, unit] = parts.find(([n]) => n > 0) ?? [1, 'second'];
  return `${count} ${unit}${count === 1 ? '' : 's'} ${past ? 'ago' : 'from now'}`;
}
