import { isoWeekKey, subtractMonthsUtc, subtractYearsUtc, utcDayKey } from './utc-calendar';

const d = (s: string) => new Date(s);

describe('utc calendar', () => {
  it.each([
    ['2020-12-31T12:00:00Z', '2020-W53'],
    ['2021-01-01T00:00:00Z', '2020-W53'],
    ['2021-01-03T23:59:59Z', '2020-W53'],
    ['2021-01-04T00:00:00Z', '2021-W01'],
    ['2019-12-30T00:00:00Z', '2020-W01'], // Monday of ISO week 1 of 2020, still calendar 2019
    ['2015-10-18T22:00:00Z', '2015-W42'],
    ['2016-01-01T00:00:00Z', '2015-W53'],
  ])('ISO week of %s is %s', (date, week) => {
    expect(isoWeekKey(d(date))).toBe(week);
  });

  it.each([
    ['2021-03-31T22:00:00.000Z', 1, '2021-02-28T22:00:00.000Z'],
    ['2024-03-31T22:00:00.000Z', 1, '2024-02-29T22:00:00.000Z'],
    ['2021-05-31T10:00:00.000Z', 3, '2021-02-28T10:00:00.000Z'],
    ['2021-01-15T10:00:00.000Z', 2, '2020-11-15T10:00:00.000Z'],
    ['2021-03-31T22:00:00.000Z', 0, '2021-03-31T22:00:00.000Z'],
    ['2016-01-31T00:00:00.000Z', 25, '2013-12-31T00:00:00.000Z'],
  ])('%s minus %i months is %s (clamped)', (from, months, expected) => {
    expect(subtractMonthsUtc(d(from), months).toISOString()).toBe(expected);
  });

  it('29 February minus a year is 28 February', () => {
    expect(subtractYearsUtc(d('2024-02-29T05:00:00Z'), 1).toISOString()).toBe('2023-02-28T05:00:00.000Z');
    expect(subtractYearsUtc(d('2024-02-29T05:00:00Z'), 4).toISOString()).toBe('2020-02-29T05:00:00.000Z');
  });

  it('days are UTC days whatever the host time zone', () => {
    expect(utcDayKey(d('2015-12-24T23:30:00-05:00'))).toBe('2015-12-25');
  });
});
