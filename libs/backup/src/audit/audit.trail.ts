import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import { BACKUP_OPTIONS } from '../config/backup-options.token';
import { secretsOf } from '../config/secrets';
import { Redactor, redactDeep } from '../common/redact';
import { BackupModuleOptions } from '../config/backup-options.interface';
import { ConnectionResolver } from '../sources/connection.resolver';
import { AuditStore } from './audit-store.interface';
import { currentAuditCaller } from './audit.caller';
import { AuditTableMissingError } from './audit.errors';
import { AuditRecorder } from './audit.hook';
import { auditSettingsOf } from './audit.settings';
import { AuditEntry, AuditRecord, AuditSettings } from './audit.types';
import { JsonlAuditStore } from './jsonl.audit-store';
import { AuditDataSource, TypeOrmAuditStore } from './typeorm.audit-store';

/** Where `record` put an entry (or why it could not). */
export interface RecordResult {
  stored: boolean;
  store?: string;
  record: AuditRecord;
}

/**
 * The audit trail: one append-only record per operation (run, clean, monitor, verify, restore,
 * tenant export/restore) with its times, outcome, destination, backup, sizes, row counts, who
 * ran it and the error. Every string passes through a Redactor holding all configured secrets
 * before it is stored. Records go to the host's database (`backup_audit_log`) when BACKUP_AUDIT
 * allows and the table is there; otherwise, or when that write fails, to the JSON Lines file,
 * so a record is never dropped because the database is down. Recording never fails the
 * operation it describes.
 *
 * @example await auditTrail.record({ operation: 'run', startedAt, finishedAt: new Date(), outcome: 'success' });
 */
@Injectable()
export class AuditTrail implements AuditRecorder {
  private readonly logger = new Logger('BackupAudit');
  private readonly secrets: string[];
  readonly settings: AuditSettings;
  private readonly file: JsonlAuditStore;
  private database: TypeOrmAuditStore | null | undefined;
  private warned = new Set<string>();
  private hostSecrets: string[] | undefined;

  constructor(
    @Inject(BACKUP_OPTIONS) private readonly options: BackupModuleOptions,
    @Optional() private readonly connections?: ConnectionResolver,
  ) {
    this.secrets = secretsOf(options);
    this.settings = auditSettingsOf(options);
    this.file = new JsonlAuditStore(this.settings.file);
  }

  /** Appends one record; never throws (a record that cannot be stored anywhere is logged). */
  async record(entry: AuditEntry, extraSecrets: Array<string | undefined> = []): Promise<RecordResult> {
    const record = this.toRecord(entry, [...extraSecrets, ...this.connectionSecrets()]);
    if (this.settings.mode === 'off') return { stored: false, record };
    const db = this.databaseStore();
    if (db) {
      try {
        await db.append(record);
        return { stored: true, store: db.description, record };
      } catch (err) {
        // auto: a host that never added the table simply keeps its trail in the file.
        if (!(err instanceof AuditTableMissingError && this.settings.mode === 'auto'))
          this.warnOnce(
            `db:${err instanceof Error ? err.name : ''}`,
            `Audit record not written to the ${db.description}: ${this.redact(String(err instanceof Error ? err.message : err))}; writing it to ${this.file.file} instead`,
          );
      }
    }
    try {
      await this.file.append(record);
      return { stored: true, store: this.file.description, record };
    } catch (err) {
      this.logger.error(
        `Audit record could not be stored (${this.redact(String(err instanceof Error ? err.message : err))}): ${JSON.stringify(record)}`,
      );
      return { stored: false, record };
    }
  }

  /**
   * Every record since `since` from the database and the file (records written to the file
   * while the database was unreachable are included), oldest first, each once.
   */
  async read(since?: Date): Promise<{ records: AuditRecord[]; sources: string[]; problems: string[] }> {
    const sources: string[] = [];
    const problems: string[] = [];
    const byId = new Map<string, AuditRecord>();
    const stores: AuditStore[] = [...(this.databaseStore() ? [this.databaseStore()!] : []), this.file];
    for (const store of stores) {
      try {
        for (const r of await store.read(since)) byId.set(r.id, r);
        sources.push(store.description);
      } catch (err) {
        problems.push(`${store.description}: ${this.redact(String(err instanceof Error ? err.message : err))}`);
      }
    }
    const records = [...byId.values()].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    return { records, sources, problems };
  }

  /**
   * Passwords of the backed-up connections and of the audit DataSource: they come from the
   * host's TypeORM options, not from the module options, so secretsOf() does not know them.
   */
  private connectionSecrets(): string[] {
    if (this.hostSecrets) return this.hostSecrets;
    const found: Array<string | undefined> = [];
    for (const name of new Set([...this.options.databases, this.settings.dataSource])) {
      try {
        found.push(this.connections?.resolveOne(name).password);
      } catch {
        /* not a connection the host has */
      }
    }
    const ds = this.auditDataSource();
    const dsPassword = ds?.options.password;
    if (typeof dsPassword === 'string') found.push(dsPassword);
    this.hostSecrets = found.filter((s): s is string => !!s);
    return this.hostSecrets;
  }

  /** The host's DataSource that holds the audit table (it must be able to run queries). */
  private auditDataSource(): AuditDataSource | undefined {
    const ds = this.connections?.findDataSource(this.settings.dataSource);
    return ds && 'query' in ds ? (ds as unknown as AuditDataSource) : undefined;
  }

  /** The database store when BACKUP_AUDIT is db or auto and the host has that DataSource. */
  private databaseStore(): TypeOrmAuditStore | null {
    if (this.database !== undefined) return this.database;
    this.database = null;
    if (this.settings.mode === 'db' || this.settings.mode === 'auto') {
      const ds = this.auditDataSource();
      if (ds) this.database = new TypeOrmAuditStore(ds, this.settings.dataSource);
      else if (this.settings.mode === 'db') {
        this.warnOnce(
          'no-ds',
          `BACKUP_AUDIT=db but there is no TypeORM DataSource "${this.settings.dataSource}"; audit records go to ${this.file.file}`,
        );
      }
    }
    return this.database;
  }

  private toRecord(entry: AuditEntry, extraSecrets: Array<string | undefined>): AuditRecord {
    const redactor = new Redactor([...this.secrets, ...extraSecrets]);
    const record: AuditRecord = {
      id: randomUUID(),
      operation: entry.operation,
      appName: this.options.appName,
      startedAt: entry.startedAt.toISOString(),
      finishedAt: entry.finishedAt.toISOString(),
      durationMs: Math.max(0, entry.finishedAt.getTime() - entry.startedAt.getTime()),
      outcome: entry.outcome,
      destination: entry.destination ?? null,
      backupName: entry.backupName ?? null,
      sizeBytes: entry.sizeBytes ?? null,
      rowCount: entry.rowCount ?? null,
      ...who(),
      error: entry.error ?? null,
      // Runs also say whether the archive was encrypted (the report lists unencrypted ones).
      details: entry.operation === 'run' ? { encryption: this.options.archive.encryption, ...entry.details } : (entry.details ?? {}),
    };
    // Started over the admin API: the record names who asked (the OS user is the server's).
    const caller = currentAuditCaller();
    if (caller && record.details.caller === undefined) record.details = { ...record.details, caller };
    return redactDeep(record, redactor);
  }

  private redact(text: string): string {
    return new Redactor(this.secrets).redact(text);
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.logger.warn(message);
  }
}

/** The operating-system user and host that ran the operation. */
export function who(): { user: string; host: string } {
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    user = process.env.USER ?? process.env.USERNAME ?? `uid ${process.getuid?.() ?? '?'}`;
  }
  return { user, host: os.hostname() };
}
