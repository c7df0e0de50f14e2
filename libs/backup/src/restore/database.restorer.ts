import { CorruptArchiveError, TruncatedArchiveError, ZipReader } from '../archive';
import { ConnectionInfo, DatabaseDriver } from '../sources/connection-info';
import { DatabaseLoader } from '../sources/database-loader.interface';
import { loaderFor } from '../sources/dumper.registry';
import { DatabaseSwapper } from './database-swapper.interface';
import { MysqlSwapper } from './mysql.swapper';
import { PostgresSwapper } from './postgres.swapper';
import { RowCountMismatchError } from './restore.errors';
import { checkLoadedRows, describeMismatches } from './row-count.check';
import { DatabaseRestorePlan, DatabaseRestoreResult, TableCheck } from './restore.types';
import { stagingNames } from './staging.names';

/** Whether the target of a plan exists and holds any table (decides what needs confirming). */
export async function targetState(plan: DatabaseRestorePlan, connection: ConnectionInfo): Promise<{ exists: boolean; tables: number }> {
  const loader = loaderFor(plan.driver);
  const exists = await loader.databaseExists(connection, plan.targetDatabase);
  if (!exists) return { exists, tables: 0 };
  const counts = await loader.countRows({ ...connection, database: plan.targetDatabase });
  return { exists, tables: Object.keys(counts).length };
}

export interface StageOptions {
  /** Keep the replaced database (as `<db>_old_<hex>`) instead of dropping it after the swap. */
  keepReplaced?: boolean;
  onStep?: (message: string) => void;
}

/**
 * A dump loaded and checked, not yet visible under the target name (except for a target that
 * did not exist, which is loaded directly). `commit` puts it in place; `discard` removes every
 * trace and leaves the target as it was.
 */
export interface StagedDatabase {
  readonly plan: DatabaseRestorePlan;
  commit(): Promise<DatabaseRestoreResult>;
  discard(): Promise<void>;
}

/** How a loaded staging database replaces a live one on this server type. */
function swapperFor(driver: Exclude<DatabaseDriver, 'sqlite'>): DatabaseSwapper {
  return driver === 'postgres' ? new PostgresSwapper() : new MysqlSwapper();
}

/**
 * Loads one verified dump so that a failure can change nothing ("no half-restored database"):
 * - SQLite: the loader builds a temp file beside the target and renames it over the target only
 *   when every statement succeeded, so this happens while staging (before any swap of the other
 *   databases); the counts are then checked on the replaced file and reported.
 * - PostgreSQL, MySQL/MariaDB, target missing: created and loaded directly; dropped again if
 *   the load fails or the rows differ from the manifest.
 * - PostgreSQL, MySQL/MariaDB, target exists: loaded into `<db>_restore_<hex>` and checked;
 *   commit swaps it in (see PostgresSwapper, MysqlSwapper), discard drops it.
 * Rows per table that differ from the manifest throw RowCountMismatchError (nothing put in place).
 */
export async function stageDatabase(
  zip: ZipReader,
  plan: DatabaseRestorePlan,
  connection: ConnectionInfo,
  options: StageOptions = {},
): Promise<StagedDatabase> {
  const started = Date.now();
  const step = options.onStep ?? (() => undefined);
  const loader = loaderFor(plan.driver);
  const state = await targetState(plan, connection);
  const result = (checks: TableCheck[]): DatabaseRestoreResult => ({
    ...plan,
    created: !state.exists,
    checks,
    ok: checks.every((c) => c.ok),
    durationMs: Date.now() - started,
  });

  if (plan.driver === 'sqlite') {
    const target = { ...connection, database: plan.targetDatabase };
    const checks = await checkLoadedRows(loader, target, plan.tables, await loadEntry(zip, plan.entry, loader, target));
    return { plan, commit: async () => result(checks), discard: async () => undefined };
  }

  if (!state.exists) {
    await loader.createDatabase(connection, plan.targetDatabase);
    const drop = () => loader.dropDatabase(connection, plan.targetDatabase);
    const checks = await loadChecked(zip, plan, loader, { ...connection, database: plan.targetDatabase }, drop);
    return { plan, commit: async () => result(checks), discard: drop };
  }

  const swapper = swapperFor(plan.driver);
  const names = stagingNames(plan.targetDatabase);
  step(`Loading into the staging database "${names.staging}"; "${plan.targetDatabase}" stays as it is until the load and its row counts check out...`);
  await loader.createDatabase(connection, names.staging);
  const dropStaging = () => loader.dropDatabase(connection, names.staging);
  const checks = await loadChecked(zip, plan, loader, { ...connection, database: names.staging }, dropStaging);
  return {
    plan,
    discard: dropStaging,
    commit: async () => {
      try {
        const swap = await swapper.swap(connection, names.staging, plan.targetDatabase, {
          old: names.old,
          keepReplaced: !!options.keepReplaced,
          onStep: step,
        });
        for (const w of swap.warnings) step(`Warning: ${w}`);
        return { ...result(checks), ...(swap.keptAs ? { replacedKeptAs: swap.keptAs } : {}) };
      } finally {
        await dropStaging().catch(() => undefined);
      }
    },
  };
}

/** Loads and compares rows with the manifest; on any failure `undo` runs before the error is thrown. */
async function loadChecked(
  zip: ZipReader,
  plan: DatabaseRestorePlan,
  loader: DatabaseLoader,
  into: ConnectionInfo,
  undo: () => Promise<void>,
): Promise<TableCheck[]> {
  try {
    const checks = await checkLoadedRows(loader, into, plan.tables, await loadEntry(zip, plan.entry, loader, into));
    if (checks.some((c) => !c.ok)) {
      throw new RowCountMismatchError(
        `The restored rows differ from the manifest in ${describeMismatches(checks)}`,
        `"${plan.targetDatabase}" was left as it was. Check the archive with backup:verify --test-restore.`,
      );
    }
    return checks;
  } catch (err) {
    await undo().catch(() => undefined);
    throw err;
  }
}

/**
 * Streams an entry into the loader. The entry's stream fails at its end when the HMAC, size or
 * SHA-256 do not match; the loader then fails too (psql is killed before it can commit, SQLite's
 * temp file is removed), and the archive's own error is the one thrown, so a damaged archive is
 * reported as such and not as a database error.
 */
async function loadEntry(zip: ZipReader, entry: string, loader: DatabaseLoader, into: ConnectionInfo): Promise<Record<string, number> | void> {
  const source = await zip.openEntry(entry);
  let archiveFault: Error | undefined;
  source.once('error', (err) => {
    if (isArchiveFault(err)) archiveFault = err;
  });
  let acknowledged: Record<string, number> | void;
  try {
    acknowledged = await loader.load(into, source);
  } catch (err) {
    throw archiveFault ?? err;
  }
  if (archiveFault) throw archiveFault;
  return acknowledged;
}

function isArchiveFault(err: unknown): err is Error {
  return err instanceof CorruptArchiveError || err instanceof TruncatedArchiveError;
}

/** Stages and commits in one go (one database; the service stages all before committing any). */
export async function restoreDatabase(
  zip: ZipReader,
  plan: DatabaseRestorePlan,
  connection: ConnectionInfo,
  options: StageOptions = {},
): Promise<DatabaseRestoreResult> {
  return (await stageDatabase(zip, plan, connection, options)).commit();
}
