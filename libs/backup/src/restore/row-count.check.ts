import { ConnectionInfo } from '../sources/connection-info';
import { DatabaseLoader } from '../sources/database-loader.interface';
import { TableCheck } from './restore.types';

/**
 * The one row check of a loaded dump, used by restore, test restore and tenant restore alike:
 * the rows per table the server acknowledged while loading (PostgreSQL's `COPY n` tags) or,
 * without them, the loader's count of the loaded database, compared with the manifest.
 *
 * Both sides name the same tables (see DatabaseLoader.countRows): the tables that hold rows
 * themselves. A PostgreSQL partitioned parent holds none (its partitions are listed), an
 * inheritance parent counts its own rows only (`ONLY`), views and materialized views are not
 * tables (a materialized view's rows come from the dump's REFRESH at the end of the load),
 * a MariaDB/MySQL partitioned table is one table.
 */
export async function checkLoadedRows(
  loader: DatabaseLoader,
  loaded: ConnectionInfo,
  manifest: Record<string, number> | undefined,
  acknowledged?: Record<string, number> | void,
): Promise<TableCheck[]> {
  const actual = acknowledged ?? (await loader.countRows(loaded));
  return manifest ? compareRowCounts(manifest, actual) : loadedRowsOnly(actual);
}

/**
 * The rows a dump loaded when the archive recorded none to compare with (spatie/laravel-backup):
 * each table reported with `expected: null`, and ok, since nothing contradicts it.
 */
export function loadedRowsOnly(actual: Record<string, number>): TableCheck[] {
  return Object.keys(actual)
    .sort()
    .map((table) => ({ table, expected: null, actual: actual[table], ok: true }));
}

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

/** "orders (3 restored, 4 expected)" for each table that differs, for error messages. */
export function describeMismatches(checks: TableCheck[]): string {
  return checks
    .filter((c) => !c.ok)
    .map((c) => `${c.table} (${c.actual ?? 'missing'} restored, ${c.expected ?? 'not in the manifest'} expected)`)
    .join(', ');
}

/** "users 50 = 50" lines for the CLI. */
export function describeChecks(checks: TableCheck[]): string[] {
  return checks.map((c) =>
    c.ok && c.expected === null
      ? `· ${c.table}: ${c.actual} row(s) restored (the archive records no row count to compare)`
      : `${c.ok ? '✔' : '✘'} ${c.table}: ${c.actual ?? 'missing'} row(s) restored, manifest ${c.expected ?? 'has no such table'}`,
  );
}
