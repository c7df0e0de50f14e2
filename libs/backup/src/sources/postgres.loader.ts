import type { Client } from 'pg';
import { loadPg } from '../common/optional-driver';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Redactor } from '../common/redact';
import { ConnectionInfo, DatabaseDriver } from './connection-info';
import { DatabaseLoader, LoadOptions } from './database-loader.interface';
import { failureHint, findOnPath, holdEarlyError, runToolLoad, toolVersion } from './db-tool';
import { DumpGuard } from './dump-guard';
import { pgEnv, pgPassfile, pgWhere } from './postgres.env';
import { PgCopyCounter, qualifiedTableName } from './pg-copy.counter';
import { ToolDumperOptions } from './postgres.dumper';
import { ParallelPgLoad } from './parallel-load/pg-parallel.load';
import { ClientSession, loadOverSessions } from './parallel-load/client.session';
import { LoadFailedError } from './source.errors';

/** psql's `\restrict` came with 13.22, 14.19, 15.14, 16.10 and 17.6 (August 2025). */
async function psqlKnowsRestrict(bin: string): Promise<boolean> {
  const version = await toolVersion(bin, 'psql').catch(() => '');
  const m = /(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  const since: Record<number, number> = { 13: 22, 14: 19, 15: 14, 16: 10, 17: 6 };
  return major >= 18 || (since[major] !== undefined && minor >= since[major]);
}

/** psql's binary and arguments for a load: no ~/.psqlrc, stop at the first error, restricted when it can be. */
async function psqlLoadArgs(bin: string, extra: string[]): Promise<string[]> {
  const restrict = (await psqlKnowsRestrict(bin)) ? ['-c', `\\restrict ${randomBytes(24).toString('hex')}`] : [];
  // Not -q: the command tags (`COPY 42`) are what the row check reads.
  return ['-X', '--no-password', '-v', 'ON_ERROR_STOP=1', ...extra, ...restrict, '-f', '-'];
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Loads a plain pg_dump with `psql -X -v ON_ERROR_STOP=1 --single-transaction`: no ~/.psqlrc,
 * the first error stops it and nothing is committed. The dump is SQL only: a DumpGuard refuses
 * any psql meta-command in it before psql sees it, and a psql that knows `\restrict` (15.14+,
 * 16.10+, 17.6+) is put in its restricted mode with a key of this run's, so psql itself runs no
 * meta-command of the dump either. Administrative queries go through the `pg` driver, which
 * sends the password over the protocol, never on a command line.
 */
export class PostgresLoader implements DatabaseLoader {
  constructor(private readonly options: ToolDumperOptions = {}) {}

  supports(driver: DatabaseDriver): boolean {
    return driver === 'postgres';
  }

  /**
   * Resolves with each table's rows as the server acknowledged them: psql prints a `COPY n` tag
   * for every COPY block, in the order the blocks streamed in (read off the stream by a
   * PgCopyCounter), so no count(*) over the loaded tables is needed (on a 22-million-row table
   * that costs seconds). Resolves with nothing when tags and blocks do not pair up one to one.
   */
  async load(connection: ConnectionInfo, sql: Readable, options: LoadOptions = {}): Promise<Record<string, number> | void> {
    if ((options.jobs ?? 1) > 1) return this.loadParallel(connection, sql, options.jobs!);
    const checkEarlyError = holdEarlyError(sql);
    const bin = this.options.bin ?? findOnPath(['psql']) ?? 'psql';
    const args = await psqlLoadArgs(bin, ['--single-transaction']);
    const passfile = await pgPassfile(connection, this.options.tmpDir);
    const guard = new DumpGuard('psql');
    const counter = new PgCopyCounter();
    const tags: number[] = [];
    try {
      checkEarlyError();
      sql.on('error', (err) => guard.destroy(err));
      guard.on('error', (err) => counter.destroy(err));
      await runToolLoad(
        {
          tool: 'psql',
          bin,
          args,
          env: pgEnv(connection, connection.database, passfile),
          describe: `PostgreSQL database "${connection.database}" on ${pgWhere(connection)}`,
          where: pgWhere(connection),
          redactor: new Redactor([connection.password]),
          onStdoutLine: (line) => {
            const tag = /^COPY (\d+)$/.exec(line);
            if (tag) tags.push(Number(tag[1]));
          },
        },
        sql.pipe(guard).pipe(counter),
      );
    } finally {
      await passfile?.remove();
    }
    const blocks = counter.copyBlocks();
    const streamed = counter.tables();
    if (tags.length !== blocks.length) return undefined;
    const acknowledged: Record<string, number> = {};
    blocks.forEach((table, i) => (acknowledged[table] = (acknowledged[table] ?? 0) + tags[i]));
    // The server took exactly what streamed past, or the counts are not to be trusted.
    if (Object.keys(streamed).some((t) => streamed[t] !== acknowledged[t])) return undefined;
    return acknowledged;
  }

  /**
   * The dump over `jobs` psql sessions (see ParallelPgLoad). Not one transaction: the caller
   * loads into a staging or new database that it drops if this rejects.
   */
  private async loadParallel(connection: ConnectionInfo, sql: Readable, jobs: number): Promise<Record<string, number> | void> {
    const checkEarlyError = holdEarlyError(sql);
    const bin = this.options.bin ?? findOnPath(['psql']) ?? 'psql';
    const args = await psqlLoadArgs(bin, []);
    const passfile = await pgPassfile(connection, this.options.tmpDir);
    const redactor = new Redactor([connection.password]);
    const describe = `PostgreSQL database "${connection.database}" on ${pgWhere(connection)}`;
    const sessions: ClientSession[] = [];
    try {
      checkEarlyError();
      for (let i = 0; i < jobs; i++) {
        sessions.push(
          new ClientSession({
            tool: 'psql',
            bin,
            args,
            env: pgEnv(connection, connection.database, passfile),
            describe,
            where: pgWhere(connection),
            redactor,
          }),
        );
      }
      const sink = new ParallelPgLoad(sessions);
      await loadOverSessions(sessions, () => pipeline(sql, new DumpGuard('psql', sink.onMark), sink), sql, describe, redactor);
      return sink.rowCounts();
    } finally {
      for (const s of sessions) s.kill();
      await passfile?.remove();
    }
  }

  async createDatabase(connection: ConnectionInfo, name: string): Promise<void> {
    await this.admin(connection, (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`), `create database "${name}"`);
  }

  async dropDatabase(connection: ConnectionInfo, name: string): Promise<void> {
    await this.admin(connection, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`), `drop database "${name}"`);
  }

  async databaseExists(connection: ConnectionInfo, name: string): Promise<boolean> {
    return this.admin(
      connection,
      async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1,
      `look up database "${name}"`,
    );
  }

  /**
   * The tables pg_dump writes a COPY block for, i.e. the ones the manifest lists: ordinary
   * tables (relkind 'r'), partitions included, each counted with ONLY (an inheritance parent's
   * count(*) would add its children's rows, which the dump copies under the children's names).
   * Left out: partitioned parents (relkind 'p', no rows of their own), views, materialized
   * views (filled by the dump's REFRESH), foreign tables, and extension tables whose data
   * pg_dump does not dump.
   */
  async countRows(connection: ConnectionInfo): Promise<Record<string, number>> {
    return this.withClient(connection, connection.database, 'count rows', async (c) => {
      const { rows } = await c.query<{ schemaname: string; tablename: string }>(
        `SELECT n.nspname AS schemaname, t.relname AS tablename
           FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace
          WHERE t.relkind = 'r'
            AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
            AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = t.oid AND d.deptype = 'e'
                              AND NOT EXISTS (SELECT 1 FROM pg_extension x WHERE t.oid = ANY (x.extconfig)))
          ORDER BY 1, 2`,
      );
      const counts: Record<string, number> = {};
      for (const { schemaname, tablename } of rows) {
        const r = await c.query<{ n: string }>(`SELECT count(*) AS n FROM ONLY ${quoteIdent(schemaname)}.${quoteIdent(tablename)}`);
        counts[qualifiedTableName(schemaname, tablename)] = Number(r.rows[0].n);
      }
      return counts;
    });
  }

  /** Runs on the maintenance database "postgres" (template1 if that one is missing). */
  private async admin<T>(connection: ConnectionInfo, fn: (c: Client) => Promise<T>, what: string): Promise<T> {
    try {
      return await this.withClient(connection, 'postgres', what, fn);
    } catch (err) {
      if (!/database "postgres" does not exist/.test((err as Error).message)) throw err;
      return this.withClient(connection, 'template1', what, fn);
    }
  }

  private async withClient<T>(connection: ConnectionInfo, database: string, what: string, fn: (c: Client) => Promise<T>): Promise<T> {
    const { Client: PgClient } = loadPg('Working with a PostgreSQL database');
    const client = new PgClient({
      host: connection.host,
      port: connection.port,
      user: connection.username,
      password: connection.password,
      database,
      connectionTimeoutMillis: 15000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await fn(client);
    } catch (err) {
      if (err instanceof LoadFailedError) throw err;
      const text = new Redactor([connection.password]).redact((err as Error).message);
      throw new LoadFailedError(
        `Could not ${what} on PostgreSQL ${pgWhere(connection)}: ${text}`,
        failureHint(text, pgWhere(connection)),
        text,
      );
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
