import { TableCheck } from './restore.types';

/**
 * Compares the rows per table the manifest recorded with what a restored database holds. A
 * table missing on either side is a mismatch too.
 */
export function compareRowCounts(expected: Record<string, number>, actual: Record<string, number>): TableCheck[] {
  const tables = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  return tables.map((table) => {
    const e = table in expected ? expected[table] : null;
    const a = table in actual ? actual[table] : null;
    return { table, expected: e, actual: a, ok: e !== null && a !== null && e === a };
  });
}

/** "users 50 = 50" lines for the CLI. */
export function describeChecks(checks: TableCheck[]): string[] {
  return checks.map(
    (c) => `${c.ok ? '✔' : '✘'} ${c.table}: ${c.actual ?? 'missing'} row(s) restored, manifest ${c.expected ?? 'has no such table'}`,
  );
}
