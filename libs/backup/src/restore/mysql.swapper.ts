import type { Connection } from 'mysql2/promise';
import { loadMysql } from '../common/optional-driver';
import { Redactor } from '../common/redact';
import { ConnectionInfo } from '../sources/connection-info';
import { mysqlWhere } from '../sources/mysql.options';
import { DatabaseSwapper, SwapOptions, SwapResult } from './database-swapper.interface';
import { DatabaseSwapError } from './restore.errors';

const quote = (name: string) => '`' + name.replace(/`/g, '``') + '`';

type ObjectKind = 'VIEW' | 'TRIGGER' | 'PROCEDURE' | 'FUNCTION';

/** A schema object that lives in a database rather than moving with a table. */
interface SchemaObject {
  kind: ObjectKind;
  name: string;
  /** Its CREATE statement as SHOW CREATE prints it from inside its own database (no db prefix). */
  sql: string;
  sqlMode?: string;
}

interface DatabaseObjects {
  tables: string[];
  views: SchemaObject[];
  triggers: SchemaObject[];
  routines: SchemaObject[];
}

/**
 * Swaps MySQL/MariaDB tables with one `RENAME TABLE live.t TO old.t, ..., staging.t TO live.t`,
 * which the server carries out atomically; tables found only live go to `old`, tables found only
 * in staging come in, and InnoDB foreign keys follow their tables. The live database itself (its
 * default character set, its grants) stays.
 *
 * What RENAME TABLE cannot move is handled around it, from definitions read with SHOW CREATE:
 * a table with triggers cannot change database ("Trigger in wrong schema") and a view cannot
 * change database at all. So the staging triggers and the live triggers and views are dropped
 * just before the RENAME, and afterwards the restored views, triggers, procedures and functions
 * (loaded from the dump into staging) are created in the live database, replacing the live
 * routines. Any error undoes everything: a second RENAME moves the tables back and the live
 * database's own views, triggers and routines are created again. Events are not in the dumps
 * and are left alone.
 */
export class MysqlSwapper implements DatabaseSwapper {
  async swap(server: ConnectionInfo, staging: string, live: string, options: SwapOptions): Promise<SwapResult> {
    const redactor = new Redactor([server.password]);
    const fail = (what: string, err: unknown, hint: string) =>
      new DatabaseSwapError(`${what} on ${mysqlWhere(server)}: ${redactor.redact((err as Error).message)}`, hint);
    let c: Connection;
    try {
      c = await loadMysql('Restoring a MySQL/MariaDB database').createConnection({ host: server.host, port: server.port, user: server.username, password: server.password, connectTimeout: 15000, charset: 'utf8mb4' });
    } catch (err) {
      throw fail('Could not connect to swap the restored copy in', err, `"${live}" was left as it was; check the server and run again.`);
    }
    try {
      const before = await this.objects(c, live);
      const restored = await this.objects(c, staging);
      options.onStep(`Swapping the restored tables into "${live}" with one RENAME TABLE (${before.tables.length} replaced, ${restored.tables.length} restored)...`);
      const [charset] = await this.rows<{ cs: string; co: string }>(
        c,
        'SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
        [live],
      );
      await c.query(`CREATE DATABASE ${quote(options.old)} CHARACTER SET ${charset?.cs ?? 'utf8mb4'} COLLATE ${charset?.co ?? 'utf8mb4_unicode_ci'}`);

      const dropped: SchemaObject[] = [];
      let renamed = false;
      try {
        for (const t of restored.triggers) await this.drop(c, staging, t);
        for (const o of [...before.triggers, ...before.views]) {
          await this.drop(c, live, o);
          dropped.push(o);
        }
        await this.rename(c, [
          ...before.tables.map((t) => [live, t, options.old] as const),
          ...restored.tables.map((t) => [staging, t, live] as const),
        ]);
        renamed = true;
        for (const r of before.routines) await this.drop(c, live, r);
        await this.create(c, live, [...restored.routines, ...restored.views, ...restored.triggers]);
      } catch (err) {
        const undone = await this.undo(c, { live, staging, old: options.old, before, restored, dropped, renamed }).then(
          () => `"${live}" was left as it was.`,
          (undoErr) =>
            `Undoing it failed too (${redactor.redact((undoErr as Error).message)}): the replaced tables may be in "${options.old}"; ` +
            'go back with the safety backup if anything is missing.',
        );
        throw fail(`Could not swap the restored copy into "${live}"`, err, `${undone} Fix the cause and run again.`);
      }

      const result: SwapResult = { warnings: [] };
      if (options.keepReplaced) {
        result.keptAs = options.old;
        await this.create(c, options.old, [...before.routines, ...before.views, ...before.triggers]).catch((err: Error) =>
          result.warnings.push(`Some views, triggers or routines of the replaced data could not be recreated in "${options.old}": ${redactor.redact(err.message)}`),
        );
        options.onStep(`The replaced tables are kept in "${options.old}"; drop it when no longer needed.`);
      } else {
        await c.query(`DROP DATABASE IF EXISTS ${quote(options.old)}`).catch((err: Error) =>
          result.warnings.push(`The replaced tables in "${options.old}" could not be dropped (${redactor.redact(err.message)}); drop that database by hand.`),
        );
      }
      return result;
    } catch (err) {
      if (err instanceof DatabaseSwapError) throw err;
      await c.query(`DROP DATABASE IF EXISTS ${quote(options.old)}`).catch(() => undefined);
      throw fail(`Could not prepare the swap of "${live}"`, err, `"${live}" was left as it was; fix the cause and run again.`);
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  /** Puts everything back after a failed swap: tables, then the live database's own objects. */
  private async undo(
    c: Connection,
    s: { live: string; staging: string; old: string; before: DatabaseObjects; restored: DatabaseObjects; dropped: SchemaObject[]; renamed: boolean },
  ): Promise<void> {
    if (s.renamed) {
      for (const o of [...s.restored.triggers, ...s.restored.views, ...(await this.objects(c, s.live)).routines]) await this.drop(c, s.live, o);
      await this.rename(c, [
        ...s.restored.tables.map((t) => [s.live, t, s.staging] as const),
        ...s.before.tables.map((t) => [s.old, t, s.live] as const),
      ]);
      await this.create(c, s.live, s.before.routines);
    }
    await this.create(c, s.live, [...s.dropped.filter((o) => o.kind === 'VIEW'), ...s.dropped.filter((o) => o.kind === 'TRIGGER')]);
    await c.query(`DROP DATABASE IF EXISTS ${quote(s.old)}`);
  }

  /** One RENAME TABLE statement: atomic, all pairs or none. */
  private async rename(c: Connection, moves: ReadonlyArray<readonly [from: string, table: string, to: string]>): Promise<void> {
    if (moves.length === 0) return;
    const pairs = moves.map(([from, t, to]) => `${quote(from)}.${quote(t)} TO ${quote(to)}.${quote(t)}`);
    await c.query(`RENAME TABLE ${pairs.join(', ')}`);
  }

  private async drop(c: Connection, database: string, o: SchemaObject): Promise<void> {
    await c.query(`DROP ${o.kind} IF EXISTS ${quote(database)}.${quote(o.name)}`);
  }

  /**
   * Runs the CREATE statements inside `database` with each object's own sql_mode. Views may
   * use other views, so the ones that fail are tried again while any succeeds.
   */
  private async create(c: Connection, database: string, objects: SchemaObject[]): Promise<void> {
    await c.query(`USE ${quote(database)}`);
    let pending = objects;
    while (pending.length) {
      const failed: Array<{ o: SchemaObject; err: Error }> = [];
      for (const o of pending) {
        try {
          if (o.sqlMode !== undefined) await c.query('SET SESSION sql_mode = ?', [o.sqlMode]);
          await c.query(o.sql);
        } catch (err) {
          failed.push({ o, err: err as Error });
        }
      }
      if (failed.length === pending.length) {
        throw new Error(`creating ${failed[0].o.kind.toLowerCase()} "${failed[0].o.name}" failed: ${failed[0].err.message}`);
      }
      pending = failed.map((f) => f.o);
    }
  }

  /** Tables, views, triggers and routines of `database`, with CREATE statements free of its name. */
  private async objects(c: Connection, database: string): Promise<DatabaseObjects> {
    await c.query(`USE ${quote(database)}`);
    const tables = await this.rows<{ name: string; type: string }>(
      c,
      'SELECT TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME',
      [database],
    );
    const triggers = await this.rows<{ name: string }>(
      c,
      'SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY EVENT_OBJECT_TABLE, ACTION_ORDER',
      [database],
    );
    const routines = await this.rows<{ name: string; type: 'PROCEDURE' | 'FUNCTION' }>(
      c,
      `SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS type FROM information_schema.ROUTINES
        WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE IN ('PROCEDURE', 'FUNCTION') ORDER BY ROUTINE_NAME`,
      [database],
    );
    const show = async (kind: ObjectKind, name: string, column: string): Promise<SchemaObject> => {
      const [row] = await this.rows<Record<string, string>>(c, `SHOW CREATE ${kind} ${quote(name)}`);
      return { kind, name, sql: row[column], sqlMode: kind === 'VIEW' ? undefined : row.sql_mode };
    };
    const out: DatabaseObjects = { tables: [], views: [], triggers: [], routines: [] };
    for (const t of tables) {
      if (t.type === 'VIEW') out.views.push(await show('VIEW', t.name, 'Create View'));
      else out.tables.push(t.name);
    }
    for (const t of triggers) out.triggers.push(await show('TRIGGER', t.name, 'SQL Original Statement'));
    for (const r of routines) out.routines.push(await show(r.type, r.name, r.type === 'PROCEDURE' ? 'Create Procedure' : 'Create Function'));
    return out;
  }

  private async rows<T>(c: Connection, sql: string, params: unknown[] = []): Promise<T[]> {
    const [rows] = await c.query(sql, params);
    return rows as T[];
  }
}
