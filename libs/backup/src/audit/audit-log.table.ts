/**
 * The `backup_audit_log` table, described once so the EntitySchema (hosts on synchronize) and
 * the migration (hosts that run migrations) create exactly the same table. Times are ISO 8601
 * UTC text: identical in PostgreSQL, MySQL/MariaDB and SQLite, and they sort by time.
 */
export const AUDIT_TABLE = 'backup_audit_log';
export const AUDIT_INDEX = 'IDX_backup_audit_log_started_at';

export interface AuditColumn {
  /** Property of AuditRecord (and of the EntitySchema). */
  property: string;
  /** Column name in the table. */
  name: string;
  type: 'varchar' | 'bigint' | 'text';
  length?: number;
  nullable?: boolean;
  primary?: boolean;
}

export const AUDIT_COLUMNS: AuditColumn[] = [
  { property: 'id', name: 'id', type: 'varchar', length: 36, primary: true },
  { property: 'operation', name: 'operation', type: 'varchar', length: 32 },
  { property: 'appName', name: 'app_name', type: 'varchar', length: 255 },
  { property: 'startedAt', name: 'started_at', type: 'varchar', length: 32 },
  { property: 'finishedAt', name: 'finished_at', type: 'varchar', length: 32 },
  { property: 'durationMs', name: 'duration_ms', type: 'bigint' },
  { property: 'outcome', name: 'outcome', type: 'varchar', length: 16 },
  { property: 'destination', name: 'destination', type: 'varchar', length: 255, nullable: true },
  { property: 'backupName', name: 'backup_name', type: 'varchar', length: 1024, nullable: true },
  { property: 'sizeBytes', name: 'size_bytes', type: 'bigint', nullable: true },
  { property: 'rowCount', name: 'row_count', type: 'bigint', nullable: true },
  { property: 'user', name: 'user_name', type: 'varchar', length: 255 },
  { property: 'host', name: 'host_name', type: 'varchar', length: 255 },
  { property: 'error', name: 'error', type: 'text', nullable: true },
  { property: 'details', name: 'details', type: 'text', nullable: true },
];

/** A row of `backup_audit_log` as TypeORM sees it (details is JSON text). */
export interface BackupAuditLogRow {
  id: string;
  operation: string;
  appName: string;
  startedAt: string;
  finishedAt: string;
  durationMs: string | number;
  outcome: string;
  destination: string | null;
  backupName: string | null;
  sizeBytes: string | number | null;
  rowCount: string | number | null;
  user: string;
  host: string;
  error: string | null;
  details: string | null;
}
