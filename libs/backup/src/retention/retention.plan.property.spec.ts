import { FUTURE_DATE_ALLOWANCE_MS } from './retention.constants';
import { planRetention } from './retention.plan';
import { RetentionCandidate, RetentionOptions } from './retention.types';
import { subtractDaysUtc } from './utc-calendar';
import { DAY, MIB, seededRandom as prng } from './retention.test-fixtures';

interface Case {
  backups: RetentionCandidate[];
  now: Date;
  options: RetentionOptions;
}

function randomCase(rand: () => number, index: number): Case {
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const now = new Date(Date.UTC(2015, 0, 1) + int(0, 3 * 365) * DAY + int(0, DAY - 1));
  const options: RetentionOptions = {
    keepAllDays: int(0, 10),
    keepDailyDays: int(0, 20),
    keepWeeklyWeeks: int(0, 10),
    keepMonthlyMonths: int(0, 14),
    keepYearlyYears: int(0, 4),
    deleteOldestWhenUsingMoreMb: rand() < 0.4 ? int(0, 40) : null,
    maxCount: rand() < 0.3 ? int(1, 30) : null,
  };
  const count = int(0, 120);
  const keepAllStart = subtractDaysUtc(now, options.keepAllDays).getTime();
  const backups: RetentionCandidate[] = [];
  for (let i = 0; i < count; i++) {
    const pick = rand();
    let t: number;
    if (pick < 0.1)
      t = keepAllStart; // exactly on the keep-all boundary
    else if (pick < 0.12)
      t = now.getTime() + int(0, FUTURE_DATE_ALLOWANCE_MS); // clock skew within the allowance
    else if (pick < 0.15)
      t = now.getTime() + FUTURE_DATE_ALLOWANCE_MS + int(1, 3 * DAY); // dated in the future: set aside
    else if (pick < 0.3) t = now.getTime() - int(0, options.keepAllDays * DAY);
    else if (pick < 0.35 && backups.length)
      t = backups[int(0, backups.length - 1)].date.getTime(); // same second
    else t = now.getTime() - int(0, 8 * 365) * DAY - int(0, DAY - 1);
    backups.push({ key: `app/case${index}-${i}.zip`, date: new Date(t), size: int(0, 3 * MIB) });
  }
  return { backups, now, options };
}

/** The newest backup that is not dated beyond the clock-skew allowance. */
function newestOf(backups: RetentionCandidate[], now: Date): RetentionCandidate | undefined {
  return [...backups.filter((b) => b.date.getTime() <= now.getTime() + FUTURE_DATE_ALLOWANCE_MS)].sort(
    (a, b) => b.date.getTime() - a.date.getTime() || (a.key < b.key ? 1 : -1),
  )[0];
}

const CASES = 400;

describe('planRetention: properties over seeded random backup sets', () => {
  const rand = prng(0x5eed2016);
  const cases = Array.from({ length: CASES }, (_, i) => randomCase(rand, i));

  it('generates varied cases (with and without cap / max count, empty and large)', () => {
    expect(cases.filter((c) => c.options.deleteOldestWhenUsingMoreMb != null).length).toBeGreaterThan(50);
    expect(cases.filter((c) => c.options.maxCount != null).length).toBeGreaterThan(50);
    expect(cases.some((c) => c.backups.length === 0)).toBe(true);
    expect(cases.some((c) => c.backups.length > 100)).toBe(true);
  });

  it('partitions the input (keep ∪ delete ∪ futureDated = input, disjoint), keeps the newest, explains every key', () => {
    for (const c of cases) {
      const plan = planRetention(c.backups, c.now, c.options);
      const input = c.backups.map((b) => b.key).sort();
      // each key exactly once across keep, delete and futureDated
      expect([...plan.keep, ...plan.delete, ...plan.futureDated].sort()).toEqual(input);
      const newest = newestOf(c.backups, c.now);
      if (newest) expect(plan.keep).toContain(newest.key);
      const ahead = c.backups.filter((b) => b.date.getTime() > c.now.getTime() + FUTURE_DATE_ALLOWANCE_MS).map((b) => b.key);
      expect([...plan.futureDated].sort()).toEqual(ahead.sort());
      for (const key of input) expect(plan.reasons[key]).toEqual(expect.any(String));
    }
  });

  it('without a cap or max count, nothing newer than the keep-all window start is ever deleted', () => {
    let checked = 0;
    for (const c of cases.filter((x) => x.options.deleteOldestWhenUsingMoreMb == null && x.options.maxCount == null)) {
      const start = subtractDaysUtc(c.now, c.options.keepAllDays).getTime();
      const plan = planRetention(c.backups, c.now, c.options);
      const deleted = new Set(plan.delete);
      for (const b of c.backups) {
        if (b.date.getTime() > start) {
          checked++;
          expect(deleted.has(b.key)).toBe(false);
        }
      }
    }
    expect(checked).toBeGreaterThan(500);
  });

  it('with a cap or max count, those rules only ever take the oldest: each such deletion is older than every kept backup', () => {
    let capOrCountDeletions = 0;
    for (const c of cases) {
      const plan = planRetention(c.backups, c.now, c.options);
      const byKey = new Map(c.backups.map((b) => [b.key, b]));
      const oldestKept = Math.min(...plan.keep.map((k) => byKey.get(k)!.date.getTime()));
      const start = subtractDaysUtc(c.now, c.options.keepAllDays).getTime();
      for (const key of plan.delete) {
        const reason = plan.reasons[key];
        const b = byKey.get(key)!;
        if (/^(size cap|max count)/.test(reason)) {
          capOrCountDeletions++;
          expect(b.date.getTime()).toBeLessThanOrEqual(oldestKept);
        } else {
          // a deletion for any other reason never touches the keep-all window
          expect(b.date.getTime()).toBeLessThanOrEqual(start);
        }
      }
    }
    expect(capOrCountDeletions).toBeGreaterThan(50);
  });

  it('the cap and the count hold afterwards, unless only the newest is left', () => {
    for (const c of cases) {
      const plan = planRetention(c.backups, c.now, c.options);
      const size = new Map(c.backups.map((b) => [b.key, b.size]));
      const used = plan.keep.reduce((sum, k) => sum + size.get(k)!, 0);
      const cap = c.options.deleteOldestWhenUsingMoreMb;
      if (cap != null && plan.keep.length > 1) expect(used).toBeLessThanOrEqual(cap * MIB);
      if (c.options.maxCount != null) expect(plan.keep.length).toBeLessThanOrEqual(c.options.maxCount);
    }
  });

  it('is stable: planning the survivors again deletes nothing', () => {
    for (const c of cases) {
      const plan = planRetention(c.backups, c.now, c.options);
      const kept = new Set(plan.keep);
      const again = planRetention(
        c.backups.filter((b) => kept.has(b.key)),
        c.now,
        c.options,
      );
      expect(again.delete).toEqual([]);
    }
  });
});
