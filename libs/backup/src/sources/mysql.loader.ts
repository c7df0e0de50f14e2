import type { Connection } from 'mysql2/promise';
import { loadMysql } from '../common/optional-driver';
import { Readable } from 'node:stream';
import { Redactor } from '../common/redact';
import { ConnectionInfo, DatabaseDriver } from './connection-info';
import { DatabaseLoader, LoadOptions } from './database-loader.interface';
import { execFile } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import { ClientSession, loadOverSessions } from './parallel-load/client.session';
import { failureHint, holdEarlyError, runToolLoad } from './db-tool';
import { DumpGuard } from './dump-guard';
import { toolEnv } from './tool.env';
import { mysqlDefaultsFile, mysqlTool, mysqlWhere } from './mysql.options';
import { ToolDumperOptions } from './postgres.dumper';
import { ParallelMysqlLoad } from './parallel-load/mysql-parallel.load';
import { LoadFailedError } from './source.errors';

const sandboxes = new Map<string, Promise<boolean>>();

/** Whether the client has --sandbox (MariaDB 10.5.25, 10.6.18, 10.11.8, 11.0.6 and later). */
function clientKnowsSandbox(bin: string): Promise<boolean> {
  let known = sandboxes.get(bin);
  if (!known) {
    known = new Promise((resolve) =>
      execFile(bin, ['--no-defaults', '--help'], { env: toolEnv(), timeout: 15000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout) =>
        resolve(!err && /^\s*--sandbox\b/m.test(stdout)),
      ),
    );
    sandboxes.set(bin, known);
  }
  return known;
}

/**
 * The client's arguments for a load. --defaults-file first: only the library's own options file
 * is read (no ~/.my.cnf). --binary-mode turns off the client's commands but \C and DELIMITER,
 * --sandbox (where the client knows it) the ones that touch files or run programs; no --force,
 * so the first error stops it. `extra` comes before the database name.
 */
async function mysqlLoadArgs(bin: string, defaultsPath: string, database: string, extra: string[] = []): Promise<string[]> {
  const sandbox = (await clientKnowsSandbox(bin)) ? ['--sandbox'] : [];
  return [`--defaults-file=${defaultsPath}`, '--batch', ...extra, '--binary-mode', ...sandbox, '--default-character-set=utf8mb4', database];
}

function quoteIdent(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`';
}

/**
 * Loads a mariadb-dump / mysqldump into a database with the `mariadb` (or `mysql`) client; the
 * password goes in a 0600 defaults file that is removed afterwards. Administrative queries use
 * mysql2. The dump's own `SET FOREIGN_KEY_CHECKS=0` lets tables load in any order.
 */
export class MysqlLoader implements DatabaseLoader {
  constructor(private readonly options: ToolDumperOptions = {}) {}

  supports(driver: DatabaseDriver): boolean {
    return driver === 'mysql' || driver === 'mariadb';
  }

  async load(connection: ConnectionInfo, sql: Readable, options: LoadOptions = {}): Promise<void> {
    if ((options.jobs ?? 1) > 1) return this.loadParallel(connection, sql, options.jobs!);
    const checkEarlyError = holdEarlyError(sql);
    const { bin, tool } = mysqlTool('client', this.options.bin);
    const defaults = await mysqlDefaultsFile(connection, this.options.tmpDir);
    const guard = new DumpGuard('mariadb');
    sql.on('error', (err) => guard.destroy(err));
    try {
      checkEarlyError();
      await runToolLoad(
        {
          tool,
          bin,
          args: await mysqlLoadArgs(bin, defaults.path, connection.database),
          env: toolEnv(),
          describe: `database "${connection.database}" on ${mysqlWhere(connection)}`,
          where: mysqlWhere(connection),
          redactor: new Redactor([connection.password]),
        },
        sql.pipe(guard),
      );
    } finally {
      await defaults.remove();
    }
  }

  /**
   * The dump over `jobs` client sessions (see ParallelMysqlLoad), each held to the same rules as
   * the one-session load (its own defaults file only, --binary-mode, --sandbox where known, no
   * --force). A mariadb-dump is never one transaction: the caller loads into a staging or new
   * database that it drops if this rejects, as with one session.
   */
  private async loadParallel(connection: ConnectionInfo, sql: Readable, jobs: number): Promise<void> {
    const checkEarlyError = holdEarlyError(sql);
    const { bin, tool } = mysqlTool('client', this.options.bin);
    const defaults = await mysqlDefaultsFile(connection, this.options.tmpDir);
    const redactor = new Redactor([connection.password]);
    const describe = `database "${connection.database}" on ${mysqlWhere(connection)}`;
    const sessions: ClientSession[] = [];
    try {
      checkEarlyError();
      // --unbuffered: each result (the sessions' markers) is printed as soon as it is there.
      const args = await mysqlLoadArgs(bin, defaults.path, connection.database, ['--skip-column-names', '--unbuffered']);
      for (let i = 0; i < jobs; i++)
        sessions.push(new ClientSession({ tool, bin, args, env: toolEnv(), describe, where: mysqlWhere(connection), redactor }));
      const sink = new ParallelMysqlLoad(sessions);
      await loadOverSessions(sessions, () => pipeline(sql, new DumpGuard('mariadb', sink.onMark), sink), sql, describe, redactor);
    } finally {
      for (const s of sessions) s.kill();
      await defaults.remove();
    }
  }

  async createDatabase(connection: ConnectionInfo, name: string): Promise<void> {
    await this.withConnection(connection, undefined, `create database "${name}"`, (c) =>
      c.query(`CREATE DATABASE ${quoteIdent(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`),
    );
  }

  async dropDatabase(connection: ConnectionInfo, name: string): Promise<void> {
    await this.withConnection(connection, undefined, `drop database "${name}"`, (c) =>
      c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`),
    );
  }

  async databaseExists(connection: ConnectionInfo, name: string): Promise<boolean> {
    return this.withConnection(connection, undefined, `look up database "${name}"`, async (c) => {
      const [rows] = await c.query('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name]);
      return (rows as unknown[]).length === 1;
    });
  }

  async countRows(connection: ConnectionInfo): Promise<Record<string, number>> {
    return this.withConnection(connection, connection.database, 'count rows', async (c) => {
      const [tables] = await c.query(
        `SELECT TABLE_NAME AS name FROM information_schema.TABLES
          WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`,
        [connection.database],
      );
      const counts: Record<string, number> = {};
      for (const { name } of tables as Array<{ name: string }>) {
        const [rows] = await c.query(`SELECT COUNT(*) AS n FROM ${quoteIdent(name)}`);
        counts[name] = Number((rows as Array<{ n: number }>)[0].n);
      }
      return counts;
    });
  }

  private async withConnection<T>(
    connection: ConnectionInfo,
    database: string | undefined,
    what: string,
    fn: (c: Connection) => Promise<T>,
  ): Promise<T> {
    const { createConnection } = loadMysql('Working with a MySQL/MariaDB database');
    let c: Connection | undefined;
    try {
      c = await createConnection({
        host: connection.host,
        port: connection.port,
        user: connection.username,
        password: connection.password,
        database,
        connectTimeout: 15000,
      });
      return await fn(c);
    } catch (err) {
      const text = new Redactor([connection.password]).redact((err as Error).message);
      throw new LoadFailedError(`Could not ${what} on ${mysqlWhere(connection)}: ${text}`, failureHint(text, mysqlWhere(connection)), text);
    } finally {
      await c?.end().catch(() => undefined);
    }
  }
}
