import { CorruptArchiveError, TruncatedArchiveError, ZipReader } from '../archive';
import { ConnectionInfo, DatabaseDriver } from '../sources/connection-info';
import { DatabaseLoader } from '../sources/database-loader.interface';
import { loaderFor } from '../sources/dumper.registry';
import { rm } from 'node:fs/promises';
import { removeDeadStagingDatabases } from './staging.debris';
import { DatabaseSwapper, DEFAULT_LOCK_WAIT_SECONDS } from './database-swapper.interface';
import { MysqlSwapper } from './mysql.swapper';
import { PostgresSwapper } from './postgres.swapper';
import { RowCountMismatchError } from './restore.errors';
import { openDump } from './dump.stream';
import { checkLoadedRows, describeMismatches } from './row-count.check';
import { DatabaseRestorePlan, DatabaseRestoreResult, TableCheck } from './restore.types';
import { copyModeAndOwner, sqliteStagedPath, swapSqliteFile } from './sqlite.swapper';
import { holdStagingGuard } from './staging.guard';
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
  /** Seconds the swap waits for other connections' locks (BACKUP_RESTORE_LOCK_WAIT_SECONDS). */
  lockWaitSeconds?: number;
  /** Sessions loading at once (BACKUP_RESTORE_JOBS; PostgreSQL only). */
  loadJobs?: number;
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
 * - SQLite: loaded into `.<file>.staged-<hex>` beside the target, its rows checked there, given
 *   the live file's mode and owner; commit renames it over the target, discard deletes it.
 * - PostgreSQL, MySQL/MariaDB, target missing: created and loaded directly; dropped again if
 *   the load fails or the rows differ from the manifest.
 * - PostgreSQL, MySQL/MariaDB, target exists: loaded into `<db>_restore_<hex>` and checked;
 *   commit swaps it in (see PostgresSwapper, MysqlSwapper), discard drops it. What a killed
 *   restore left beside the target is put right first (removeDeadStagingDatabases), and a lock
 *   held while this one runs (holdStagingGuard) keeps the next run off its own scratch names.
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
  if (plan.driver !== 'sqlite') {
    for (const line of await removeDeadStagingDatabases(connection, plan.targetDatabase, options.lockWaitSeconds)) step(line);
  }
  const state = await targetState(plan, connection);
  const result = (checks: TableCheck[]): DatabaseRestoreResult => ({
    ...plan,
    created: !state.exists,
    checks,
    ok: checks.every((c) => c.ok),
    durationMs: Date.now() - started,
  });

  if (plan.driver === 'sqlite') {
    const staged = sqliteStagedPath(plan.targetDatabase, stagingNames(plan.targetDatabase).hex);
    const removeStaged = () => rm(staged, { force: true });
    const checks = await loadChecked(zip, plan, loader, { ...connection, database: staged }, removeStaged, options.loadJobs);
    try {
      for (const w of await copyModeAndOwner(plan.targetDatabase, staged)) step(`Warning: ${w}`);
    } catch (err) {
      await removeStaged();
      throw err;
    }
    return {
      plan,
      commit: async () => {
        await swapSqliteFile(plan.targetDatabase, staged).finally(removeStaged);
        return result(checks);
      },
      discard: removeStaged,
    };
  }

  if (!state.exists) {
    await loader.createDatabase(connection, plan.targetDatabase);
    const drop = () => loader.dropDatabase(connection, plan.targetDatabase);
    const checks = await loadChecked(zip, plan, loader, { ...connection, database: plan.targetDatabase }, drop, options.loadJobs);
    return { plan, commit: async () => result(checks), discard: drop };
  }

  const swapper = swapperFor(plan.driver);
  const names = stagingNames(plan.targetDatabase);
  const guard = await holdStagingGuard(connection, names.hex);
  step(
    `Loading into the staging database "${names.staging}"; "${plan.targetDatabase}" stays as it is until the load and its row counts check out...`,
  );
  const dropStaging = () => loader.dropDatabase(connection, names.staging).finally(() => guard.release());
  try {
    await loader.createDatabase(connection, names.staging);
  } catch (err) {
    await guard.release();
    throw err;
  }
  const checks = await loadChecked(zip, plan, loader, { ...connection, database: names.staging }, dropStaging, options.loadJobs);
  return {
    plan,
    discard: dropStaging,
    commit: async () => {
      try {
        const swap = await swapper.swap(connection, names.staging, plan.targetDatabase, {
          old: options.keepReplaced ? names.old : names.replaced,
          keepReplaced: !!options.keepReplaced,
          lockWaitSeconds: options.lockWaitSeconds ?? DEFAULT_LOCK_WAIT_SECONDS,
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
  jobs?: number,
): Promise<TableCheck[]> {
  try {
    const acknowledged = await loadEntry(zip, plan, loader, into, jobs);
    const checks = await checkLoadedRows(loader, into, plan.noRowCounts ? undefined : plan.tables, acknowledged);
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
async function loadEntry(
  zip: ZipReader,
  plan: DatabaseRestorePlan,
  loader: DatabaseLoader,
  into: ConnectionInfo,
  jobs?: number,
): Promise<Record<string, number> | void> {
  const source = await openDump(zip, plan.entry, plan.compression);
  let archiveFault: Error | undefined;
  source.once('error', (err) => {
    if (isArchiveFault(err)) archiveFault = err;
  });
  let acknowledged: Record<string, number> | void;
  try {
    acknowledged = await loader.load(into, source, { jobs });
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
