import { diffForHumans, formatAge } from './age.format';
import { ListingFormatError } from './listing.error';

const now = new Date('2016-03-31T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms);
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('formatAge', () => {
  it('reads like spatie backup:list: days with two decimals, then the relative time', () => {
    expect(formatAge(ago(DAY + 58 * MIN), now)).toBe('1.04 days (1 day ago)');
    expect(formatAge(ago(3 * HOUR), now)).toBe('0.13 days (3 hours ago)');
    expect(formatAge(ago(10 * DAY), now)).toBe('10.00 days (1 week ago)');
  });

  it('counts whole minutes and separates thousands', () => {
    expect(formatAge(ago(59_999), now)).toBe('0.00 days (59 seconds ago)');
    expect(formatAge(new Date('2012-11-02T00:00:00Z'), now)).toBe('1,245.50 days (3 years ago)');
  });

  it('says "from now" for a date after now (clock skew)', () => {
    expect(formatAge(new Date(now.getTime() + 2 * HOUR), now)).toBe('0.08 days (2 hours from now)');
  });

  it('rejects an invalid date', () => {
    expect(() => formatAge(new Date('nope'), now)).toThrow(ListingFormatError);
  });
});

describe('diffForHumans', () => {
  it.each([
    [now, '1 second ago'],
    [ago(1000), '1 second ago'],
    [ago(5 * MIN + 59_000), '5 minutes ago'],
    [ago(HOUR), '1 hour ago'],
    [ago(23 * HOUR + 59 * MIN), '23 hours ago'],
    [ago(6 * DAY), '6 days ago'],
    [ago(13 * DAY), '1 week ago'],
    [ago(14 * DAY), '2 weeks ago'],
    [new Date('2016-02-29T12:00:00Z'), '1 month ago'], // 1 month and 2 days
    [new Date('2016-03-01T12:00:00Z'), '4 weeks ago'],
    [new Date('2015-03-31T12:00:01Z'), '11 months ago'],
    [new Date('2015-03-31T12:00:00Z'), '1 year ago'],
    [new Date('2013-01-01T00:00:00Z'), '3 years ago'],
  ])('%p → %p', (date, expected) => {
    expect(diffForHumans(date, now)).toBe(expected);
  });
});
