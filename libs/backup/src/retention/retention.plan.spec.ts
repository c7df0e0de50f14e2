import { BackupError } from '../common/backup.error';
import { DEFAULT_RETENTION } from './retention.constants';
import { RetentionConfigError } from './retention.error';
import { planRetention } from './retention.plan';
import { RetentionCandidate, RetentionOptions } from './retention.types';
import { at, DAY, HOUR, MIB, NO_PERIODS, SPATIE_DEFAULTS } from './retention.test-fixtures';

describe("planRetention: the scenario from spatie/laravel-backup's test suite", () => {
  const now = new Date('2016-01-01T22:00:00Z');
  const backups: RetentionCandidate[] = [];
  for (let n = 1; n <= 1000; n++) {
    const t = now.getTime() - n * DAY;
    backups.push(at(new Date(t).toISOString()), at(new Date(t + 2 * HOUR).toISOString()));
  }
  const plan = planRetention(backups, now, SPATIE_DEFAULTS);

  it('keeps exactly the 44 survivors the reference names, newest first', () => {
    const z = (d: string) => `${d}T22:00:00.000Z`;
    const midnight = (d: string) => `${d}T00:00:00.000Z`;
    const expected = [
      // all 14 backups from 2015-12-25 on (the keep-all window and its boundary)
      midnight('2016-01-01'),
      z('2015-12-31'),
      midnight('2015-12-31'),
      z('2015-12-30'),
      midnight('2015-12-30'),
      z('2015-12-29'),
      midnight('2015-12-29'),
      z('2015-12-28'),
      midnight('2015-12-28'),
      z('2015-12-27'),
      midnight('2015-12-27'),
      z('2015-12-26'),
      midnight('2015-12-26'),
      z('2015-12-25'),
      // 16 daily: the 22:00 backup of 2015-12-24 … 2015-12-09
      z('2015-12-24'),
      z('2015-12-23'),
      z('2015-12-22'),
      z('2015-12-21'),
      z('2015-12-20'),
      z('2015-12-19'),
      z('2015-12-18'),
      z('2015-12-17'),
      z('2015-12-16'),
      z('2015-12-15'),
      z('2015-12-14'),
      z('2015-12-13'),
      z('2015-12-12'),
      z('2015-12-11'),
      z('2015-12-10'),
      z('2015-12-09'),
      // 8 weekly: the Sundays 2015-12-06 … 2015-10-18
      z('2015-12-06'),
      z('2015-11-29'),
      z('2015-11-22'),
      z('2015-11-15'),
      z('2015-11-08'),
      z('2015-11-01'),
      z('2015-10-25'),
      z('2015-10-18'),
      // 4 monthly: newest of September … June 2015
      z('2015-09-30'),
      z('2015-08-31'),
      z('2015-07-31'),
      z('2015-06-30'),
      // 2 yearly: newest of 2014 and 2013
      z('2014-12-31'),
      z('2013-12-31'),
    ];
    expect(plan.keep).toEqual(expected);
    expect(plan.delete).toHaveLength(2000 - 44);
  });

  it('says why: a boundary backup loses in the period where it is not the newest', () => {
    // 2015-10-14 22:00 is the weekly end: newest of October in the monthly period, but not of
    // ISO week 2015-W42 in the weekly period.
    expect(plan.delete).toContain('2015-10-14T22:00:00.000Z');
    expect(plan.reasons['2015-10-14T22:00:00.000Z']).toMatch(/^weekly period .*2015-W42 \(kept 2015-10-18T22:00:00\.000Z\)/);
    expect(plan.reasons['2015-12-24T00:00:00.000Z']).toMatch(/^daily period .*day 2015-12-24/);
    expect(plan.reasons['2013-04-06T22:00:00.000Z']).toBe('older than the end of the yearly period (2013-06-14T22:00:00.000Z)');
    expect(plan.reasons['2016-01-01T00:00:00.000Z']).toBe('newest backup: never deleted');
    expect(plan.reasons['2015-12-06T22:00:00.000Z']).toMatch(/newest of ISO week 2015-W49 in the weekly period/);
    for (const key of [...plan.keep, ...plan.delete]) expect(plan.reasons[key]).toBeTruthy();
  });
});

describe('planRetention: boundaries', () => {
  it('a backup exactly on the keep-all boundary belongs to the daily period', () => {
    const now = new Date('2016-01-08T12:00:00Z'); // daily start = 2016-01-01 12:00
    const plan = planRetention(
      [
        at('2016-01-08T11:00:00Z'), // newest
        at('2016-01-01T13:00:00Z'), // keep-all window
        at('2016-01-01T12:00:00Z'), // exactly on the boundary: newest of 2016-01-01 in the daily period
        at('2016-01-01T08:00:00Z'), // same day, older
      ],
      now,
      SPATIE_DEFAULTS,
    );
    expect(plan.keep).toEqual(['2016-01-08T11:00:00Z', '2016-01-01T13:00:00Z', '2016-01-01T12:00:00Z']);
    expect(plan.delete).toEqual(['2016-01-01T08:00:00Z']);
    expect(plan.reasons['2016-01-01T13:00:00Z']).toMatch(/keep-all window/);
  });

  it('a backup exactly on the daily/weekly boundary must be the newest of its group in both', () => {
    // keepAll 0, daily 1 day: daily [2016-01-06 12:00, 2016-01-07 12:00], weekly end 2015-12-30 12:00.
    const now = new Date('2016-01-07T12:00:00Z');
    const options = { ...NO_PERIODS, keepDailyDays: 1, keepWeeklyWeeks: 1 };
    const onBoundary = at('2016-01-06T12:00:00Z');
    // 2016-01-06 is a Wednesday in ISO week 2016-W01; a later backup of that week lies in the
    // daily period only, so in the weekly period the boundary one is the newest of W01.
    expect(planRetention([at('2016-01-07T12:00:00Z'), onBoundary], now, options).keep).toContain(onBoundary.key);
    // Another backup later on 2016-01-06 makes it lose the daily group.
    const plan = planRetention([at('2016-01-07T12:00:00Z'), at('2016-01-06T18:00:00Z'), onBoundary], now, options);
    expect(plan.delete).toEqual([onBoundary.key]);
    expect(plan.reasons[onBoundary.key]).toMatch(/^daily period/);
  });

  it('keeps one backup for an ISO week that spans New Year (2020-12-31 and 2021-01-01 are both 2020-W53)', () => {
    const now = new Date('2021-01-20T00:00:00Z');
    const options = { ...NO_PERIODS, keepWeeklyWeeks: 4 }; // weekly period 2020-12-23 … 2021-01-20
    const plan = planRetention([at('2021-01-19T00:00:00Z'), at('2021-01-01T10:00:00Z'), at('2020-12-31T10:00:00Z')], now, options);
    expect(plan.keep).toEqual(['2021-01-19T00:00:00Z', '2021-01-01T10:00:00Z']);
    expect(plan.delete).toEqual(['2020-12-31T10:00:00Z']);
    expect(plan.reasons['2020-12-31T10:00:00Z']).toMatch(/not the newest of ISO week 2020-W53/);
  });

  it('31 March minus one month is 28 February (29 in a leap year), not 2/3 March', () => {
    // Only a monthly period of one month, ending where the yearly (0 years) cut-off is.
    const options = { ...NO_PERIODS, keepMonthlyMonths: 1 };
    const plan2021 = planRetention(
      [at('2021-03-31T22:00:00Z'), at('2021-02-28T22:00:00Z'), at('2021-02-28T21:59:59Z')],
      new Date('2021-03-31T22:00:00Z'),
      options,
    );
    // 2021-02-28 22:00 is the monthly end itself: kept as the newest of February.
    expect(plan2021.keep).toEqual(['2021-03-31T22:00:00Z', '2021-02-28T22:00:00Z']);
    expect(plan2021.reasons['2021-02-28T21:59:59Z']).toBe('older than the end of the yearly period (2021-02-28T22:00:00.000Z)');

    const plan2024 = planRetention(
      [at('2024-03-31T22:00:00Z'), at('2024-03-02T00:00:00Z'), at('2024-02-29T22:00:00Z'), at('2024-02-29T21:00:00Z')],
      new Date('2024-03-31T22:00:00Z'),
      options,
    );
    // PHP would cut at 2024-03-02 22:00 and delete 2024-03-02 00:00.
    expect(plan2024.keep).toEqual(['2024-03-31T22:00:00Z', '2024-03-02T00:00:00Z', '2024-02-29T22:00:00Z']);
    expect(plan2024.delete).toEqual(['2024-02-29T21:00:00Z']);
  });
});

describe('planRetention: size cap', () => {
  const now = new Date('2016-01-08T00:00:00Z');
  const options = { ...SPATIE_DEFAULTS, deleteOldestWhenUsingMoreMb: 10 };

  it('keeps the newest even when it alone is over the cap, and deletes everything else', () => {
    const plan = planRetention(
      [at('2016-01-07T00:00:00Z', 20 * MIB), at('2016-01-06T00:00:00Z', 1), at('2016-01-05T00:00:00Z', 1)],
      now,
      options,
    );
    expect(plan.keep).toEqual(['2016-01-07T00:00:00Z']);
    expect(plan.delete).toEqual(['2016-01-06T00:00:00Z', '2016-01-05T00:00:00Z']);
    expect(plan.reasons['2016-01-05T00:00:00Z']).toMatch(/^size cap: 20971522 bytes used .* more than 10 MiB/);
  });

  it('deletes oldest first, and only while the total is strictly greater than the cap', () => {
    const four = [
      at('2016-01-07T00:00:00Z', 4 * MIB),
      at('2016-01-06T00:00:00Z', 3 * MIB),
      at('2016-01-05T00:00:00Z', 3 * MIB),
      at('2016-01-04T00:00:00Z', 1), // total is 10 MiB + 1 byte
    ];
    const plan = planRetention(four, now, options);
    expect(plan.delete).toEqual(['2016-01-04T00:00:00Z']); // leaves exactly 10 MiB: allowed
    expect(plan.keep).toHaveLength(3);
    const tighter = planRetention(four, now, { ...options, deleteOldestWhenUsingMoreMb: 9 });
    expect(tighter.delete).toEqual(['2016-01-05T00:00:00Z', '2016-01-04T00:00:00Z']);
  });

  it('no cap when unset', () => {
    const plan = planRetention([at('2016-01-07T00:00:00Z', 50_000 * MIB), at('2016-01-06T00:00:00Z', 50_000 * MIB)], now, SPATIE_DEFAULTS);
    expect(plan.delete).toEqual([]);
  });
});

describe('planRetention: max count (BACKUP_MAX_COUNT)', () => {
  const now = new Date('2016-01-08T00:00:00Z');
  const five = ['2016-01-07', '2016-01-06', '2016-01-05', '2016-01-04', '2016-01-03'].map((d) => at(`${d}T00:00:00Z`));

  it('after the other rules, deletes the oldest until at most maxCount remain', () => {
    const plan = planRetention(five, now, { ...SPATIE_DEFAULTS, maxCount: 3 });
    expect(plan.keep).toEqual(['2016-01-07T00:00:00Z', '2016-01-06T00:00:00Z', '2016-01-05T00:00:00Z']);
    expect(plan.delete).toEqual(['2016-01-04T00:00:00Z', '2016-01-03T00:00:00Z']);
    expect(plan.reasons['2016-01-03T00:00:00Z']).toBe('max count: 5 backups remained, at most 3 allowed; oldest deleted first');
  });

  it('counts what the periods and the cap already deleted, and never deletes the newest', () => {
    const sized = five.map((b) => ({ ...b, size: 2 * MIB }));
    const plan = planRetention(sized, now, { ...SPATIE_DEFAULTS, deleteOldestWhenUsingMoreMb: 8, maxCount: 4 });
    // the cap leaves 4 (8 MiB); the count is then already met
    expect(plan.keep).toHaveLength(4);
    expect(plan.reasons['2016-01-03T00:00:00Z']).toMatch(/^size cap/);
    expect(planRetention(five, now, { ...SPATIE_DEFAULTS, maxCount: 1 }).keep).toEqual(['2016-01-07T00:00:00Z']);
  });
});

describe('planRetention: objects dated in the future (a stranger named 2099-…)', () => {
  const now = new Date('2026-11-30T12:00:00Z');
  const real = at('2026-11-30T02:00:00Z', 5 * MIB);
  const stranger = at('2099-01-01T00:00:00Z', 3);

  it('with BACKUP_MAX_COUNT=1 keeps the real backup, deletes nothing and sets the stranger aside', () => {
    const plan = planRetention([real, stranger], now, { ...NO_PERIODS, maxCount: 1 });
    expect(plan.keep).toEqual([real.key]);
    expect(plan.delete).toEqual([]);
    expect(plan.futureDated).toEqual([stranger.key]);
    expect(plan.reasons[real.key]).toBe('newest backup: never deleted');
    expect(plan.reasons[stranger.key]).toMatch(/^dated after 2026-11-30T12:00:00.000Z \+ 5 min of clock skew: not written by this clock/);
  });

  it('counts neither its size toward the cap nor itself toward the count', () => {
    const older = at('2026-11-29T02:00:00Z', 5 * MIB);
    const huge = at('2027-01-01T00:00:00Z', 50_000 * MIB);
    const plan = planRetention([real, older, huge], now, { ...SPATIE_DEFAULTS, deleteOldestWhenUsingMoreMb: 10, maxCount: 2 });
    expect(plan.keep).toEqual([real.key, older.key]);
    expect(plan.delete).toEqual([]);
    expect(plan.futureDated).toEqual([huge.key]);
  });

  it('allows 5 minutes of clock skew: a backup dated 4 minutes ahead is the newest, 6 minutes ahead is set aside', () => {
    const skewed = at(new Date(now.getTime() + 4 * 60_000).toISOString());
    const ahead = at(new Date(now.getTime() + 6 * 60_000).toISOString());
    const plan = planRetention([real, skewed, ahead], now, { ...NO_PERIODS, maxCount: 1 });
    expect(plan.keep).toEqual([skewed.key]);
    expect(plan.delete).toEqual([real.key]);
    expect(plan.futureDated).toEqual([ahead.key]);
  });

  it('only future-dated objects: nothing kept, nothing deleted', () => {
    expect(planRetention([stranger], now, DEFAULT_RETENTION)).toMatchObject({ keep: [], delete: [], futureDated: [stranger.key] });
  });
});

describe('planRetention: input', () => {
  it('plans nothing for no backups', () => {
    expect(planRetention([], new Date(), DEFAULT_RETENTION)).toEqual({ keep: [], delete: [], futureDated: [], reasons: {} });
  });

  it('does not depend on the order of the input', () => {
    const now = new Date('2016-01-01T22:00:00Z');
    const list = Array.from({ length: 60 }, (_, i) => at(new Date(now.getTime() - i * 13 * HOUR).toISOString()));
    const forward = planRetention(list, now, SPATIE_DEFAULTS);
    expect(planRetention([...list].reverse(), now, SPATIE_DEFAULTS)).toEqual(forward);
  });

  it.each([
    [{ keepAllDays: -1 }, /BACKUP_KEEP_ALL_DAYS \(keepAllDays\) must be a whole number/],
    [{ keepWeeklyWeeks: 1.5 }, /BACKUP_KEEP_WEEKLY_WEEKS/],
    [{ keepYearlyYears: undefined }, /BACKUP_KEEP_YEARLY_YEARS .* got undefined/],
    [{ deleteOldestWhenUsingMoreMb: -5 }, /BACKUP_DELETE_OLDEST_WHEN_USING_MORE_MB/],
    [{ maxCount: 0 }, /BACKUP_MAX_COUNT must be a whole number of at least 1/],
  ])('rejects bad options %p with a clear RetentionConfigError', (patch, message) => {
    const options = { ...DEFAULT_RETENTION, ...patch } as RetentionOptions;
    expect(() => planRetention([], new Date(), options)).toThrow(RetentionConfigError);
    expect(() => planRetention([], new Date(), options)).toThrow(message);
    expect(() => planRetention([], new Date(), options)).toThrow(BackupError);
  });

  it('rejects a backup without a valid date, and duplicate keys', () => {
    const now = new Date();
    expect(() => planRetention([{ key: 'a.zip', date: new Date('nope'), size: 1 }], now, DEFAULT_RETENTION)).toThrow(
      'Backup a.zip has no valid date.',
    );
    expect(() => planRetention([at('2016-01-01T00:00:00Z'), at('2016-01-01T00:00:00Z')], now, DEFAULT_RETENTION)).toThrow(/listed twice/);
  });
});

describe('DEFAULT_RETENTION', () => {
  it('DEFAULT_RETENTION is seed 002: 7/30/12/12/7 and 10240 MiB', () => {
    expect(DEFAULT_RETENTION).toEqual({
      keepAllDays: 7,
      keepDailyDays: 30,
      keepWeeklyWeeks: 12,
      keepMonthlyMonths: 12,
      keepYearlyYears: 7,
      deleteOldestWhenUsingMoreMb: 10240,
      maxCount: null,
    });
  });
});
