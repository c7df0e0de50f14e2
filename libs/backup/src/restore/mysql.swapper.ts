import type { Connection } from 'mysql2/promise';
import { loadMysql } from '../common/optional-driver';
import { Redactor } from '../common/redact';
import { ConnectionInfo } from '../sources/connection-info';
import { mysqlWhere } from '../sources/mysql.options';
import { DatabaseSwapper, DEFAULT_LOCK_WAIT_SECONDS, SwapOptions, SwapResult } from './database-swapper.interface';
import {
  createObjects,
  currentObjectNames,
  DatabaseObjects,
  dropObject,
  quoteMysql as quote,
  readObjects,
  rows,
  SchemaObject,
  tablesIn,
} from './mysql.schema-objects';
import { DatabaseSwapError } from './restore.errors';

/** The table in the replaced-tables database that records a swap under way (see MysqlSwapper). */
export const MYSQL_SWAP_JOURNAL = 'nest_backup_swap_journal';

/** What a swap needs to be finished or undone by a later run after this one was killed. */
export interface MysqlSwapJournal {
  live: string;
  staging: string;
  old: string;
  keepReplaced: boolean;
  before: DatabaseObjects;
  restored: DatabaseObjects;
}

const ER_LOCK_WAIT_TIMEOUT = 1205;

/** The swap waited its lock_wait_timeout behind other connections and gave up. */
export class LockWaitTimeoutError extends DatabaseSwapError {}

/**
 * Swaps MySQL/MariaDB tables with one `RENAME TABLE live.t TO old.t, ..., staging.t TO live.t`,
 * which the server carries out atomically; tables found only live go to `old`, tables found only
 * in staging come in, and InnoDB foreign keys and grants (kept by table name) stay right. The
 * live database itself (its default character set, its grants) stays.
 *
 * What RENAME TABLE cannot move is handled around it, from definitions read with SHOW CREATE
 * (with each one's sql_mode, character_set_client and collation_connection):
 * - Views are never dropped: they name their tables, so after the RENAME they read the restored
 *   tables, and `CREATE OR REPLACE VIEW` then puts in the restored definitions, one statement each.
 * - A table with triggers cannot change database ("Trigger in wrong schema"), so the live
 *   triggers are dropped right before the RENAME, with every live table locked (LOCK TABLES
 *   WRITE: no other session reads or writes in between), and the restored triggers are created
 *   right after it. Routines are replaced with CREATE OR REPLACE.
 * - Before anything live changes, a journal (the table MYSQL_SWAP_JOURNAL in `old`, holding
 *   every definition) is written. A run killed during the swap leaves it; the next restore of
 *   the database finds it (removeDeadStagingDatabases) and finishes the swap if the RENAME
 *   happened or undoes it if not, so the live database is then whole, old or new.
 * - Every statement waits at most `lockWaitSeconds` (lock_wait_timeout) for locks of other
 *   connections; a swap that times out is undone and names the connections in the way.
 * Any error undoes everything the same way. Events are not in the dumps and are left alone.
 */
export class MysqlSwapper implements DatabaseSwapper {
  async swap(server: ConnectionInfo, staging: string, live: string, options: SwapOptions): Promise<SwapResult> {
    const redactor = new Redactor([server.password]);
    const fail = (what: string, err: unknown, hint: string) =>
      new DatabaseSwapError(`${what} on ${mysqlWhere(server)}: ${redactor.redact((err as Error).message)}`, hint);
    let c: Connection;
    try {
      c = await connectMysql(server, options.lockWaitSeconds);
    } catch (err) {
      throw fail('Could not connect to swap the restored copy in', err, `"${live}" was left as it was; check the server and run again.`);
    }
    try {
      let journal: MysqlSwapJournal;
      try {
        const before = await readObjects(c, live);
        const restored = await readObjects(c, staging);
        options.onStep(
          `Swapping the restored tables into "${live}" with one RENAME TABLE (${before.tables.length} replaced, ${restored.tables.length} restored)...`,
        );
        const [charset] = await rows<{ cs: string; co: string }>(
          c,
          'SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
          [live],
        );
        await c.query(
          `CREATE DATABASE ${quote(options.old)} CHARACTER SET ${charset?.cs ?? 'utf8mb4'} COLLATE ${charset?.co ?? 'utf8mb4_unicode_ci'}`,
        );
        journal = { live, staging, old: options.old, keepReplaced: options.keepReplaced, before, restored };
        // One statement: a journal table is never there without its row.
        await c.query(
          `CREATE TABLE ${quote(options.old)}.${quote(MYSQL_SWAP_JOURNAL)} ENGINE=InnoDB AS SELECT CAST(? AS CHAR CHARACTER SET utf8mb4) AS doc`,
          [JSON.stringify(journal)],
        );
        // Staging is not live: its triggers can go now (they come back on the live tables).
        for (const t of restored.triggers) await dropObject(c, staging, t);
      } catch (err) {
        await c.query(`DROP DATABASE IF EXISTS ${quote(options.old)}`).catch(() => undefined);
        throw fail(`Could not prepare the swap of "${live}"`, err, `"${live}" was left as it was; fix the cause and run again.`);
      }

      try {
        await this.renameIn(c, journal);
        await finishSwap(c, journal);
      } catch (err) {
        const blockers = isLockWait(err) ? await blockingConnections(c, live).catch(() => []) : [];
        const undone = await undoSwap(c, journal).then(
          () => `"${live}" was left as it was (everything was put back).`,
          (undoErr) =>
            `Undoing it failed too (${redactor.redact((undoErr as Error).message)}): the next restore of "${live}" finishes or undoes ` +
            `the swap from the journal in "${options.old}" before anything else; run it again soon.`,
        );
        if (isLockWait(err)) {
          throw new LockWaitTimeoutError(
            `The swap into "${live}" on ${mysqlWhere(server)} waited ${options.lockWaitSeconds ?? DEFAULT_LOCK_WAIT_SECONDS} s for locks other connections hold and gave up` +
              (blockers.length
                ? `; in the way: ${blockers.map((b) => redactor.redact(b)).join('; ')}`
                : ' (no blocking connection could be named)'),
            `${undone} End those transactions (or stop the app) and run again, or raise BACKUP_RESTORE_LOCK_WAIT_SECONDS.`,
          );
        }
        throw fail(`Could not swap the restored copy into "${live}"`, err, `${undone} Fix the cause and run again.`);
      }

      const result: SwapResult = { warnings: [] };
      if (options.keepReplaced) {
        result.keptAs = options.old;
        await createObjects(c, options.old, [...journal.before.routines, ...journal.before.views, ...journal.before.triggers]).catch(
          (err: Error) =>
            result.warnings.push(
              `Some views, triggers or routines of the replaced data could not be recreated in "${options.old}": ${redactor.redact(err.message)}`,
            ),
        );
        await c.query(`DROP TABLE IF EXISTS ${quote(options.old)}.${quote(MYSQL_SWAP_JOURNAL)}`).catch(() => undefined);
        options.onStep(`The replaced tables are kept in "${options.old}"; drop it when no longer needed.`);
      } else {
        await c
          .query(`DROP DATABASE IF EXISTS ${quote(options.old)}`)
          .catch((err: Error) =>
            result.warnings.push(
              `The replaced tables in "${options.old}" could not be dropped (${redactor.redact(err.message)}); drop that database by hand.`,
            ),
          );
      }
      return result;
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  /**
   * The live triggers go and the tables move. LOCK TABLES takes every live table first (waiting
   * at most lock_wait_timeout, before anything changed); the triggers are dropped under it, and
   * the RENAME follows at once (it cannot run under LOCK TABLES).
   */
  private async renameIn(c: Connection, j: MysqlSwapJournal): Promise<void> {
    if (j.before.triggers.length) {
      await c.query(`LOCK TABLES ${j.before.tables.map((t) => `${quote(j.live)}.${quote(t)} WRITE`).join(', ')}`);
      try {
        for (const t of j.before.triggers) await dropObject(c, j.live, t);
      } finally {
        await c.query('UNLOCK TABLES');
      }
    }
    await renameTables(c, [
      ...j.before.tables.map((t) => [j.live, t, j.old] as const),
      ...j.restored.tables.map((t) => [j.staging, t, j.live] as const),
    ]);
  }
}

/** A connection for swapping: utf8mb4, and lock waits bounded by `lockWaitSeconds`. */
export async function connectMysql(server: ConnectionInfo, lockWaitSeconds = DEFAULT_LOCK_WAIT_SECONDS): Promise<Connection> {
  const c = await loadMysql('Restoring a MySQL/MariaDB database').createConnection({
    host: server.host,
    port: server.port,
    user: server.username,
    password: server.password,
    connectTimeout: 15000,
    charset: 'utf8mb4',
  });
  try {
    await c.query('SET SESSION lock_wait_timeout = ?', [lockWaitSeconds]);
  } catch (err) {
    await c.end().catch(() => undefined);
    throw err;
  }
  return c;
}

/** Whether the RENAME of this swap has happened (RENAME TABLE is atomic: all tables or none). */
async function renamed(c: Connection, j: MysqlSwapJournal): Promise<boolean> {
  // The live tables in `old` say it best: staging may be gone already (dropped after a failure).
  if (j.before.tables.length) return (await tablesIn(c, j.old)).includes(j.before.tables[0]);
  if (j.restored.tables.length) {
    const live = new Set(await tablesIn(c, j.live));
    const staged = new Set(await tablesIn(c, j.staging));
    return j.restored.tables.every((t) => live.has(t) && !staged.has(t));
  }
  return true;
}

/** Makes the live views, triggers and routines exactly `wanted` (CREATE OR REPLACE, then drop the rest). */
async function settle(c: Connection, live: string, wanted: DatabaseObjects): Promise<void> {
  // Objects already there as wanted are left alone: replacing one needs its table's lock, which
  // an undo after a lock wait would wait for again.
  const now = await readObjects(c, live);
  const same = new Set([...now.routines, ...now.views, ...now.triggers].map(fingerprint));
  const all = [...wanted.routines, ...wanted.views, ...wanted.triggers];
  await createObjects(
    c,
    live,
    all.filter((o) => !same.has(fingerprint(o))),
  );
  const keep = new Set(all.map((o) => `${o.kind} ${o.name}`));
  for (const o of await currentObjectNames(c, live)) if (!keep.has(`${o.kind} ${o.name}`)) await dropObject(c, live, o);
}

const fingerprint = (o: SchemaObject): string =>
  JSON.stringify([o.kind, o.name, o.sql, o.sqlMode, o.characterSetClient, o.collationConnection]);

/** After the RENAME: the restored views, triggers and routines in place of the live ones. */
export async function finishSwap(c: Connection, j: MysqlSwapJournal): Promise<void> {
  await settle(c, j.live, j.restored);
}

/**
 * Puts the live database back as the journal recorded it: the tables back (if the RENAME
 * happened), then its own views, triggers and routines. `old` is dropped once it holds nothing
 * but the journal. Safe to run again after it was interrupted.
 */
export async function undoSwap(c: Connection, j: MysqlSwapJournal): Promise<void> {
  if (j.restored.tables.length + j.before.tables.length > 0 && (await renamed(c, j))) {
    for (const o of await currentObjectNames(c, j.live)) if (o.kind === 'TRIGGER') await dropObject(c, j.live, o);
    await renameTables(c, [
      ...j.restored.tables.map((t) => [j.live, t, j.staging] as const),
      ...j.before.tables.map((t) => [j.old, t, j.live] as const),
    ]);
  }
  await settle(c, j.live, j.before);
  const left = (await tablesIn(c, j.old)).filter((t) => t !== MYSQL_SWAP_JOURNAL);
  if (left.length) throw new Error(`"${j.old}" still holds ${left.join(', ')}; not dropped`);
  await c.query(`DROP DATABASE IF EXISTS ${quote(j.old)}`);
}

/**
 * Finishes a swap a killed run left (its journal in `old`): forward when the RENAME happened,
 * back when not. Either way the live database is then whole; returns which way it went.
 */
export async function recoverMysqlSwap(c: Connection, old: string): Promise<'finished' | 'undone' | 'none'> {
  const [row] = await rows<{ doc: string }>(c, `SELECT doc FROM ${quote(old)}.${quote(MYSQL_SWAP_JOURNAL)} LIMIT 1`);
  if (!row) {
    // Killed while the journal was written: nothing live had changed yet.
    if ((await tablesIn(c, old)).every((t) => t === MYSQL_SWAP_JOURNAL)) await c.query(`DROP DATABASE IF EXISTS ${quote(old)}`);
    return 'none';
  }
  const j = JSON.parse(row.doc) as MysqlSwapJournal;
  if (await renamed(c, j)) {
    await finishSwap(c, j);
    if (j.keepReplaced) {
      await createObjects(c, j.old, [...j.before.routines, ...j.before.views, ...j.before.triggers]).catch(() => undefined);
      await c.query(`DROP TABLE IF EXISTS ${quote(j.old)}.${quote(MYSQL_SWAP_JOURNAL)}`);
    } else {
      await c.query(`DROP DATABASE IF EXISTS ${quote(j.old)}`);
    }
    await c.query(`DROP DATABASE IF EXISTS ${quote(j.staging)}`);
    return 'finished';
  }
  await undoSwap(c, j);
  await c.query(`DROP DATABASE IF EXISTS ${quote(j.staging)}`);
  return 'undone';
}

/** One RENAME TABLE statement: atomic, all pairs or none. */
async function renameTables(c: Connection, moves: ReadonlyArray<readonly [from: string, table: string, to: string]>): Promise<void> {
  if (moves.length === 0) return;
  const pairs = moves.map(([from, t, to]) => `${quote(from)}.${quote(t)} TO ${quote(to)}.${quote(t)}`);
  await c.query(`RENAME TABLE ${pairs.join(', ')}`);
}

function isLockWait(err: unknown): boolean {
  return (err as { errno?: number }).errno === ER_LOCK_WAIT_TIMEOUT;
}

/**
 * The connections that hold what the swap waited for, as "id 12 (app@10.0.0.5:5133, 41 s in a
 * transaction, state …: SELECT …)": from metadata_lock_info when that plugin is installed,
 * else every other connection with an open InnoDB transaction or using the database.
 */
export async function blockingConnections(c: Connection, live: string): Promise<string[]> {
  const hasMdlInfo = (
    await rows<{ n: number }>(
      c,
      "SELECT COUNT(*) AS n FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'METADATA_LOCK_INFO' AND PLUGIN_STATUS = 'ACTIVE'",
    )
  )[0]?.n;
  const who = hasMdlInfo
    ? `SELECT DISTINCT THREAD_ID AS id FROM information_schema.METADATA_LOCK_INFO WHERE TABLE_SCHEMA = ? AND THREAD_ID <> CONNECTION_ID()`
    : `SELECT trx_mysql_thread_id AS id FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id <> CONNECTION_ID()
       UNION SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID() AND COMMAND <> 'Sleep'`;
  const found = await rows<{ id: number; user: string; host: string; time: number; state: string | null; info: string | null }>(
    c,
    `SELECT p.ID AS id, p.USER AS user, p.HOST AS host, p.TIME AS time, p.STATE AS state, LEFT(p.INFO, 60) AS info
       FROM information_schema.PROCESSLIST p WHERE p.ID IN (${who}) AND p.STATE NOT LIKE 'Waiting for%' ORDER BY p.TIME DESC LIMIT 5`,
    [live],
  );
  return found.map(
    (p) =>
      `connection ${p.id} (${p.user}@${p.host}, ${p.time} s${p.state ? `, ${p.state}` : ', idle in a transaction'}` +
      `${p.info ? `: ${p.info.replace(/\s+/g, ' ')}` : ''})`,
  );
}

export type { SchemaObject };
