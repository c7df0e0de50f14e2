import { BackupError } from '../common/backup.error';

/** The database has no `backup_audit_log` table yet (records then go to the JSON Lines file). */
export class AuditTableMissingError extends BackupError {}

/** The audit database cannot be used (unsupported driver, not reachable). */
export class AuditStoreError extends BackupError {}

/** `backup:report` was given something it cannot read (a bad --since, a bad --format). */
export class ReportRequestError extends BackupError {}
