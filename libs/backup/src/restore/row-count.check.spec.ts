import { ConnectionInfo } from '../sources/connection-info';
import { DatabaseLoader } from '../sources/database-loader.interface';
import { checkLoadedRows, compareRowCounts, describeMismatches } from './row-count.check';

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

describe('checkLoadedRows', () => {
  const loaderCounting = (counts: Record<string, number>) => {
    const countRows = jest.fn(async () => counts);
    return { loader: { countRows } as unknown as DatabaseLoader, countRows };
  };
  const db: ConnectionInfo = { name: 'x', driver: 'postgres', database: 'x' };

  it('takes the rows the server acknowledged while loading, without counting again', async () => {
    const { loader, countRows } = loaderCounting({ payment: 99 });
    const checks = await checkLoadedRows(loader, db, { payment_p1: 2 }, { payment_p1: 2 });
    expect(checks).toEqual([{ table: 'payment_p1', expected: 2, actual: 2, ok: true }]);
    expect(countRows).not.toHaveBeenCalled();
  });

  it('counts the loaded database when the load acknowledged nothing, and names what differs', async () => {
    const { loader } = loaderCounting({ a: 1, b: 3 });
    const checks = await checkLoadedRows(loader, db, { a: 1, b: 2 }, undefined);
    expect(checks.map((c) => c.ok)).toEqual([true, false]);
    expect(describeMismatches(checks)).toBe('b (3 restored, 2 expected)');
  });
});
