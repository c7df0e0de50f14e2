import { AuditStore } from './audit-store.interface';
import { AuditStoreError, AuditTableMissingError } from './audit.errors';
import { AUDIT_COLUMNS, AUDIT_TABLE } from './audit-log.table';
import { AuditRecord } from './audit.types';

/** The few DataSource members the store uses (typeorm is an optional peer). */
export interface AuditDataSource {
  readonly isInitialized: boolean;
  readonly options: { type: string } & Record<string, unknown>;
  readonly driver: { escape(name: string): string };
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
  initialize(): Promise<unknown>;
  destroy(): Promise<void>;
  createQueryRunner(): { hasTable(name: string): Promise<boolean>; release(): Promise<void> };
}

const SUPPORTED = new Set(['postgres', 'mysql', 'mariadb', 'sqlite', 'better-sqlite3']);

/**
 * Audit records in the host's database, table `backup_audit_log`. Only INSERT and SELECT are
 * ever sent: the library has no path that updates or deletes a record. The host's DataSource is
 * used as it is when initialized; otherwise (a CLI whose DataSource is never connected) a
 * private DataSource with the same connection options is opened for the statement and closed.
 * The table is not created here: the host adds `backupAuditLogEntity()` (synchronize) or runs
 * `BackupAuditLogMigration`.
 */
export class TypeOrmAuditStore implements AuditStore {
  readonly description: string;
  private tableSeen = false;
  /** Set once the table was found missing: later records go to the file without a connection each. */
  private tableMissing: AuditTableMissingError | undefined;

  constructor(
    private readonly dataSource: AuditDataSource,
    readonly dataSourceName: string,
  ) {
    this.description = `database "${dataSourceName}" (${dataSource.options.type}), table ${AUDIT_TABLE}`;
  }

  async append(record: AuditRecord): Promise<void> {
    await this.withConnection(async (ds) => {
      await this.requireTable(ds);
      const values = AUDIT_COLUMNS.map((c) => toColumn(record, c.property));
      const names = AUDIT_COLUMNS.map((c) => ds.driver.escape(c.name)).join(', ');
      const marks = AUDIT_COLUMNS.map((_, i) => this.placeholder(i)).join(', ');
      await ds.query(`INSERT INTO ${ds.driver.escape(AUDIT_TABLE)} (${names}) VALUES (${marks})`, values);
    });
  }

  async read(since?: Date): Promise<AuditRecord[]> {
    return this.withConnection(async (ds) => {
      await this.requireTable(ds);
      const names = AUDIT_COLUMNS.map((c) => ds.driver.escape(c.name)).join(', ');
      const where = since ? ` WHERE ${ds.driver.escape('started_at')} >= ${this.placeholder(0)}` : '';
      const rows = (await ds.query(
        `SELECT ${names} FROM ${ds.driver.escape(AUDIT_TABLE)}${where} ORDER BY ${ds.driver.escape('started_at')}`,
        since ? [since.toISOString()] : [],
      )) as Array<Record<string, unknown>>;
      return rows.map(fromRow);
    });
  }

  private async withConnection<T>(fn: (ds: AuditDataSource) => Promise<T>): Promise<T> {
    const type = this.dataSource.options.type;
    if (!SUPPORTED.has(type)) {
      throw new AuditStoreError(
        `The audit trail cannot write to a "${type}" database`,
        'Set BACKUP_AUDIT=file to keep the audit trail in a JSON Lines file.',
      );
    }
    if (this.tableMissing) throw this.tableMissing;
    if (this.dataSource.isInitialized) return fn(this.dataSource);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { DataSource } = require('typeorm') as typeof import('typeorm');
    const own = new DataSource({
      ...(this.dataSource.options as object),
      entities: [],
      subscribers: [],
      migrations: [],
      synchronize: false,
      migrationsRun: false,
      dropSchema: false,
      logging: false,
    } as never) as unknown as AuditDataSource;
    await own.initialize();
    try {
      return await fn(own);
    } finally {
      await own.destroy().catch(() => undefined);
    }
  }

  private async requireTable(ds: AuditDataSource): Promise<void> {
    if (this.tableSeen) return;
    if (this.tableMissing) throw this.tableMissing;
    const runner = ds.createQueryRunner();
    try {
      this.tableSeen = await runner.hasTable(AUDIT_TABLE);
    } finally {
      await runner.release();
    }
    if (!this.tableSeen) {
      throw (this.tableMissing = new AuditTableMissingError(
        `The database "${this.dataSourceName}" has no ${AUDIT_TABLE} table`,
        'Add backupAuditLogEntity() to your TypeORM entities (synchronize) or BackupAuditLogMigration to your migrations and run them.',
      ));
    }
  }

  private placeholder(i: number): string {
    return this.dataSource.options.type === 'postgres' ? `$${i + 1}` : '?';
  }
}

function toColumn(record: AuditRecord, property: string): string | number | null {
  const value = (record as unknown as Record<string, unknown>)[property];
  if (property === 'details') return JSON.stringify(value ?? {});
  if (value === undefined || value === null) return null;
  return typeof value === 'number' ? value : String(value);
}

function fromRow(row: Record<string, unknown>): AuditRecord {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const out: Record<string, unknown> = {};
  for (const c of AUDIT_COLUMNS) out[c.property] = row[c.name];
  let details: Record<string, unknown> = {};
  try {
    details = out.details ? (JSON.parse(String(out.details)) as Record<string, unknown>) : {};
  } catch {
    details = {};
  }
  return {
    ...(out as unknown as AuditRecord),
    durationMs: Number(out.durationMs),
    sizeBytes: num(out.sizeBytes),
    rowCount: num(out.rowCount),
    details,
  };
}
