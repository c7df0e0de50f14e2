import { compareRowCounts } from './row-count.check';

describe('compareRowCounts', () => {
  it('matches equal counts and flags differences and tables missing on either side', () => {
    const checks = compareRowCounts({ users: 3, tenants: 1, gone: 2 }, { users: 3, tenants: 2, extra: 0 });
    expect(checks).toEqual([
      { table: 'extra', expected: null, actual: 0, ok: false },
      { table: 'gone', expected: 2, actual: null, ok: false },
      { table: 'tenants', expected: 1, actual: 2, ok: false },
      { table: 'users', expected: 3, actual: 3, ok: true },
    ]);
  });

  it('is all ok when every table matches', () => {
    expect(compareRowCounts({ a: 0, b: 5 }, { b: 5, a: 0 }).every((c) => c.ok)).toBe(true);
  });
});
