import { BackupError } from '../common/backup.error';
import { ListingFormatError } from './listing.error';
import { formatBytes } from './size.format';

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1, '1 B'],
    [1023, '1023 B'],
    [1024, '1 KB'],
    [1536, '1.5 KB'],
    [1.5 * 1024 * 1024, '1.5 MB'],
    [1024 * 1024 - 1, '1 MB'], // 1023.999 KB rounds to 1024 KB, shown as the next unit
    [10240 * 1024 * 1024, '10 GB'],
    [1234567890, '1.15 GB'],
    [1.005 * 1024, '1.01 KB'], // half away from zero, like PHP's round()
    [3 * 1024 ** 4, '3 TB'],
    [2048 * 1024 ** 4, '2048 TB'], // TB is the largest unit
  ])('%p bytes → %p', (bytes, expected) => {
    expect(formatBytes(bytes)).toBe(expected);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('rejects %p with a clear error', (bad) => {
    expect(() => formatBytes(bad)).toThrow(ListingFormatError);
    expect(() => formatBytes(bad)).toThrow(BackupError);
    expect(() => formatBytes(bad)).toThrow(/Cannot format .* as a size/);
  });
});
