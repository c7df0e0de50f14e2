import type Database from 'better-sqlite3';
import { loadSqlite } from '../common/optional-driver';

const openSqlite = (file: string, options?: Database.Options): Database.Database =>
  new (loadSqlite('Working with a SQLite database'))(file, options);
import { existsSync } from 'node:fs';
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { ConnectionInfo, DatabaseDriver } from './connection-info';
import { DatabaseLoader } from './database-loader.interface';
import { checkSqliteStatement } from './dump-guard';
import { LoadFailedError } from './source.errors';
import { quoteIdent } from './sqlite-sql.writer';
import { SqliteStatementSplitter } from './sqlite-statement.splitter';

const BATCH_CHARS = 1024 * 1024;

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Restores a SQLite file by executing the dump's statements into a new temp file beside the
 * target and renaming it over the target only when every statement succeeded, so the old file
 * stays whole on any error. `name` / `connection.database` are file paths.
 */
export class SqliteLoader implements DatabaseLoader {
  supports(driver: DatabaseDriver): boolean {
    return driver === 'sqlite';
  }

  async load(connection: ConnectionInfo, sql: Readable): Promise<void> {
    const target = resolve(connection.database);
    const temp = join(dirname(target), `.${basename(target)}.restore-${randomBytes(6).toString('hex')}.tmp`);
    let db: Database.Database | undefined;
    try {
      await writeFile(temp, '', { mode: 0o600, flag: 'wx' });
      db = openSqlite(temp);
      const splitter = new SqliteStatementSplitter();
      const decoder = new StringDecoder('utf8');
      let batch = '';
      let line = 1;
      // Every statement is judged before it joins a batch: a dump is data (see checkSqliteStatement).
      const judged = (stmt: string): string => {
        checkSqliteStatement(stmt, line);
        line += countNewlines(stmt);
        return stmt;
      };
      for await (const chunk of sql) {
        for (const stmt of splitter.push(typeof chunk === 'string' ? chunk : decoder.write(chunk))) {
          batch += judged(stmt) + '\n';
          if (batch.length >= BATCH_CHARS) {
            db.exec(batch);
            batch = '';
          }
        }
      }
      for (const stmt of splitter.push(decoder.end())) batch += judged(stmt) + '\n';
      if (splitter.rest().trim()) batch += judged(splitter.rest());
      if (batch) db.exec(batch);
      if (db.inTransaction) throw new Error('the dump ended inside an open transaction (truncated?)');
      db.close();
      db = undefined;
      await this.replace(target, temp);
    } catch (err) {
      db?.close();
      await rm(temp, { force: true });
      if (err instanceof LoadFailedError) throw err;
      throw new LoadFailedError(
        `Loading the SQLite dump into ${target} failed: ${(err as Error).message}`,
        'The original file was left untouched. Check the archive with backup:verify.',
        (err as Error).message,
      );
    }
  }

  /** Empties a WAL target into its file first, so no stale -wal is replayed onto the new one. */
  private async replace(target: string, temp: string): Promise<void> {
    if (existsSync(target)) {
      const old = openSqlite(target, { fileMustExist: true, timeout: 30000 });
      try {
        old.pragma('wal_checkpoint(TRUNCATE)');
      } finally {
        old.close();
      }
    }
    await rename(temp, target);
    await rm(`${target}-wal`, { force: true });
    await rm(`${target}-shm`, { force: true });
  }

  async createDatabase(_connection: ConnectionInfo, name: string): Promise<void> {
    const file = resolve(name);
    if (existsSync(file)) {
      throw new LoadFailedError(`SQLite database ${file} already exists.`, 'Choose another file or drop it first.');
    }
    openSqlite(file).close();
  }

  async dropDatabase(_connection: ConnectionInfo, name: string): Promise<void> {
    const file = resolve(name);
    for (const suffix of ['', '-wal', '-shm', '-journal']) await rm(file + suffix, { force: true });
  }

  async databaseExists(_connection: ConnectionInfo, name: string): Promise<boolean> {
    return stat(resolve(name)).then(
      (s) => s.isFile(),
      () => false,
    );
  }

  async countRows(connection: ConnectionInfo): Promise<Record<string, number>> {
    const file = resolve(connection.database);
    let db: Database.Database;
    try {
      db = openSqlite(file, { readonly: true, fileMustExist: true });
    } catch (err) {
      throw new LoadFailedError(`Cannot open SQLite database ${file}: ${(err as Error).message}`, 'Check the path of the database file.');
    }
    try {
      const tables = db
        .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`)
        .pluck()
        .all() as string[];
      const counts: Record<string, number> = {};
      for (const t of tables)
        counts[t] = Number(
          db
            .prepare(`SELECT count(*) FROM ${quoteIdent(t)}`)
            .pluck()
            .get(),
        );
      return counts;
    } finally {
      db.close();
    }
  }
}
