import { ZipReader } from '../archive';
import { ConnectionInfo } from '../sources/connection-info';
import { loaderFor } from '../sources/dumper.registry';
import { compareRowCounts } from './row-count.check';
import { DatabaseRestorePlan, DatabaseRestoreResult } from './restore.types';

/** Whether the target of a plan exists and holds any table (decides what needs confirming). */
export async function targetState(plan: DatabaseRestorePlan, connection: ConnectionInfo): Promise<{ exists: boolean; tables: number }> {
  const loader = loaderFor(plan.driver);
  const exists = await loader.databaseExists(connection, plan.targetDatabase);
  if (!exists) return { exists, tables: 0 };
  const counts = await loader.countRows({ ...connection, database: plan.targetDatabase });
  return { exists, tables: Object.keys(counts).length };
}

/**
 * Loads one verified dump into its target. PostgreSQL and MySQL/MariaDB targets that exist
 * and hold tables are dropped and created again first (the caller has confirmed that and taken
 * the safety backup); SQLite files are replaced atomically by the loader. Afterwards the rows
 * per table are compared with the manifest.
 */
export async function restoreDatabase(zip: ZipReader, plan: DatabaseRestorePlan, connection: ConnectionInfo): Promise<DatabaseRestoreResult> {
  const started = Date.now();
  const loader = loaderFor(plan.driver);
  const target: ConnectionInfo = { ...connection, database: plan.targetDatabase };
  const state = await targetState(plan, connection);
  if (plan.driver !== 'sqlite') {
    if (state.exists && state.tables > 0) await loader.dropDatabase(connection, plan.targetDatabase);
    if (!state.exists || state.tables > 0) await loader.createDatabase(connection, plan.targetDatabase);
  }
  await loader.load(target, await zip.openEntry(plan.entry));
  const checks = compareRowCounts(plan.tables, await loader.countRows(target));
  return { ...plan, created: !state.exists, checks, ok: checks.every((c) => c.ok), durationMs: Date.now() - started };
}
