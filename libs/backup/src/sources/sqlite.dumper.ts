import type Database from 'better-sqlite3';
import { loadSqlite } from '../common/optional-driver';

const openSqlite = (file: string, options?: Database.Options): Database.Database =>
  new (loadSqlite('Working with a SQLite database'))(file, options);
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { ConnectionInfo, DatabaseDriver } from './connection-info';
import { DatabaseDumper, DumpFacts, DumpHandle } from './database-dumper.interface';
import { DumpCancelledError, DumpFailedError } from './source.errors';
import { sqliteSqlDump } from './sqlite-sql.writer';

/** The library and engine version, e.g. "better-sqlite3 12.6.2 (SQLite 3.50.4)". */
export function sqliteVersion(db: Database.Database): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pkg = require('better-sqlite3/package.json') as { version: string };
  const { v } = db.prepare('SELECT sqlite_version() AS v').get() as { v: string };
  return `better-sqlite3 ${pkg.version} (SQLite ${v})`;
}

/**
 * Dumps a SQLite file consistently while the app keeps writing: SQLite's online backup API
 * copies it in a single step (one read transaction) into a private 0600 temp file, and the SQL
 * is streamed from that snapshot, counting rows on the way. The temp file is removed afterwards,
 * on success, failure and cancel alike.
 */
export class SqliteDumper implements DatabaseDumper {
  constructor(private readonly options: { tmpDir?: string } = {}) {}

  supports(driver: DatabaseDriver): boolean {
    return driver === 'sqlite';
  }

  dump(connection: ConnectionInfo): DumpHandle {
    const file = resolve(connection.database);
    const counts: Record<string, number> = {};
    let dir: string | undefined;
    let snapshot: Database.Database | undefined;
    let tool = '';
    let cancelled: Error | undefined;

    const cleanup = async () => {
      snapshot?.close();
      snapshot = undefined;
      if (dir) await rm(dir, { recursive: true, force: true });
      dir = undefined;
    };

    async function* generate(): AsyncGenerator<string> {
      try {
        if (!existsSync(file)) {
          throw new DumpFailedError(
            `SQLite database file ${file} does not exist.`,
            'Check the DataSource "database" option (or DB_URL): it must point at the existing database file.',
          );
        }
        dir = await mkdtemp(join(optionsTmp, 'nest-backup-sqlite-'));
        const copy = join(dir, 'snapshot.db');
        await writeFile(copy, '', { mode: 0o600, flag: 'wx' });
        const source = openSqlite(file, { readonly: true, fileMustExist: true, timeout: 30000 });
        try {
          tool = sqliteVersion(source);
          // One step for all pages: the copy is a single consistent read, never restarted by writers.
          await source.backup(copy, { progress: ({ totalPages }) => Math.max(totalPages, 1) });
        } catch (err) {
          throw new DumpFailedError(
            `The SQLite online backup of ${file} failed: ${(err as Error).message}`,
            'Check that the file is a SQLite database and readable by this process.',
            (err as Error).message,
          );
        } finally {
          source.close();
        }
        if (cancelled) throw cancelled;
        snapshot = openSqlite(copy, { readonly: true });
        for (const chunk of sqliteSqlDump(snapshot, counts)) {
          if (cancelled) throw cancelled;
          yield chunk;
        }
      } finally {
        await cleanup();
      }
    }

    const optionsTmp = this.options.tmpDir ?? tmpdir();
    const stream = Readable.from(generate(), { objectMode: false });
    const facts = new Promise<DumpFacts>((res, rej) => {
      stream.on('end', () => res({ driver: 'sqlite', database: connection.database, tool, tables: { ...counts } }));
      stream.on('error', rej);
      stream.on('close', () => rej(cancelled ?? new DumpCancelledError('the dump stream was closed before the end')));
    });
    facts.catch(() => undefined);
    return {
      stream,
      facts,
      cancel(reason?: Error) {
        cancelled = reason ?? new DumpCancelledError();
        stream.destroy(cancelled);
      },
    };
  }
}
