import type Database from 'better-sqlite3';
import { loadSqlite } from '../../common/optional-driver';
import { ConnectionInfo } from '../../sources/connection-info';
import { TenantConfigError } from '../tenant.errors';
import { LiveColumn, SqlSession } from './sql.session';

export class SqliteSession implements SqlSession {
  readonly driver = 'sqlite' as const;

  private constructor(private readonly db: Database.Database) {}

  static async open(c: ConnectionInfo): Promise<SqliteSession> {
    let db: Database.Database;
    try {
      db = new (loadSqlite('Tenant export and restore on SQLite'))(c.database, { fileMustExist: true, timeout: 10_000 });
    } catch (err) {
      throw new TenantConfigError(
        `Cannot open the SQLite database ${c.database}: ${err instanceof Error ? err.message : err}`,
        'Check the DataSource path.',
      );
    }
    db.pragma('foreign_keys = ON');
    return new SqliteSession(db);
  }

  quote(identifier: string): string {
    return `"${identifier.replace(/"/g, '""')}"`;
  }

  placeholder(): string {
    return '?';
  }

  async query(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    return this.db
      .prepare(sql)
      .safeIntegers(true)
      .all(...params.map(bindable)) as Record<string, unknown>[];
  }

  async execute(sql: string, params: unknown[] = []): Promise<number> {
    return this.db.prepare(sql).run(...params.map(bindable)).changes;
  }

  async *stream(sql: string, params: unknown[] = []): AsyncIterable<Record<string, unknown>> {
    // Integers as BigInt, so ids beyond 2^53 are not rounded.
    yield* this.db
      .prepare(sql)
      .safeIntegers(true)
      .iterate(...params.map(bindable)) as Iterable<Record<string, unknown>>;
  }

  async begin(mode: 'read' | 'write'): Promise<void> {
    this.db.exec(mode === 'read' ? 'BEGIN' : 'BEGIN IMMEDIATE');
  }

  async commit(): Promise<void> {
    this.db.exec('COMMIT');
  }

  async rollback(): Promise<void> {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
  }

  async columns(table: string): Promise<LiveColumn[]> {
    const rows = this.db.prepare(`SELECT * FROM pragma_table_xinfo(?) WHERE hidden IN (0, 2, 3)`).all(table) as Array<{
      name: string;
      notnull: number;
      dflt_value: unknown;
      pk: number;
      type: string;
      hidden: number;
    }>;
    const integerKey = rows.filter((r) => r.pk > 0).length === 1 && rows.some((r) => r.pk > 0 && /^integer$/i.test(r.type));
    return rows.map((r) => ({
      name: r.name,
      nullable: r.notnull === 0,
      hasDefault: r.dflt_value !== null || (integerKey && r.pk > 0),
      dataType: r.type,
      generated: r.hidden === 2 || r.hidden === 3,
    }));
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

/** better-sqlite3 binds numbers, strings, bigints, Buffers and null; booleans become 0/1. */
function bindable(v: unknown): unknown {
  return typeof v === 'boolean' ? (v ? 1 : 0) : v;
}
