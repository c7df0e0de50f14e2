import { ListingFormatError } from './listing.error';

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const;

/**
 * Bytes for humans, as spatie/laravel-backup's Format::humanReadableSize shows them: steps of
 * 1024, at most two decimals without trailing zeros ("1.5 MB", "1 KB", "512 B", "2048 TB").
 * Two deliberate differences: 0 is "0 B" (spatie prints "0 KB"), and exactly 1024 of a unit
 * moves up ("1 KB", where spatie's strict `> 1024` loop prints "1024 B").
 */
export function formatBytes(bytes: number): string {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes) || bytes < 0) {
    throw new ListingFormatError(
      `Cannot format ${String(bytes)} as a size.`,
      'Pass a byte count of 0 or more (e.g. the sum of stored object sizes).',
    );
  }
  let value = bytes;
  let unit = 0;
  while (unit < UNITS.length - 1 && round2(value) >= 1024) {
    value /= 1024;
    unit++;
  }
  return `${round2(value)} ${UNITS[unit]}`;
}

/** PHP's round($x, 2): half away from zero, without binary noise (1.005 → 1.01). */
function round2(x: number): number {
  return Math.round(Number((x * 100).toPrecision(15))) / 100;
}
