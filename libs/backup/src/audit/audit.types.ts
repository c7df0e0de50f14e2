/** The operations the audit trail records, one record each. */
export const AUDIT_OPERATIONS = ['run', 'clean', 'monitor', 'verify', 'restore', 'tenant-export', 'tenant-restore'] as const;
/** The backup operations the compliance report counts. */
export type ReportedOperation = (typeof AUDIT_OPERATIONS)[number];
/**
 * One request to the admin HTTP API (BackupAdminModule), with its caller: kept in the trail
 * for who-did-what, left out of the compliance report (it is access, not a backup operation).
 */
export const ADMIN_REQUEST_OPERATION = 'admin-request';
export type AuditOperation = ReportedOperation | typeof ADMIN_REQUEST_OPERATION;

/** `partial`: some destinations (or backups) succeeded and some failed. */
export type AuditOutcome = 'success' | 'failure' | 'partial';

/** What a service knows about one finished operation (start/end and "who" are added by the trail). */
export interface AuditFacts {
  outcome: AuditOutcome;
  /** Disk name(s), comma separated when an operation touched several. */
  destination?: string | null;
  /** Object key of the backup made, verified or restored (several: comma separated). */
  backupName?: string | null;
  /** Archive bytes written, verified, restored or deleted (clean). */
  sizeBytes?: number | null;
  /** Rows dumped, test-restored or restored. */
  rowCount?: number | null;
  /** What went wrong; redacted before it is stored. */
  error?: string | null;
  /** Per-destination / per-backup detail the report needs (plain JSON, redacted). */
  details?: Record<string, unknown>;
}

/** The input of `AuditTrail.record`. */
export interface AuditEntry extends AuditFacts {
  operation: AuditOperation;
  startedAt: Date;
  finishedAt: Date;
}

/**
 * One stored record. Times are ISO 8601 UTC text, so they read and sort the same in every
 * database and in the JSON Lines file.
 */
export interface AuditRecord {
  id: string;
  operation: AuditOperation;
  appName: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  outcome: AuditOutcome;
  destination: string | null;
  backupName: string | null;
  sizeBytes: number | null;
  rowCount: number | null;
  user: string;
  host: string;
  error: string | null;
  details: Record<string, unknown>;
}

/** Where records are kept: `db` (the host's database), `file` (JSON Lines), `off`, or `auto`. */
export type AuditMode = 'auto' | 'db' | 'file' | 'off';

/** Audit and compliance settings (BACKUP_AUDIT*, BACKUP_RPO_HOURS, BACKUP_RTO_HOURS). */
export interface AuditSettings {
  /** auto (default): the database when its table exists, else the file. */
  mode: AuditMode;
  /** JSON Lines file (absolute); default `<app root>/storage/audit/<BACKUP_NAME>.jsonl`. */
  file: string;
  /** TypeORM DataSource name whose database holds `backup_audit_log` (default "default"). */
  dataSource: string;
  /** Recovery point objective: the newest backup must be younger than this. */
  rpoHours: number;
  /** Recovery time objective: a measured restore must take less than this. */
  rtoHours: number;
}
