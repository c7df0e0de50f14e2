import { IsIn, IsOptional, Matches, MinLength, ValidateIf } from 'class-validator';
import { IsCronOrOff, IsTimeZone } from './schedule.validators';

const INT = /^\d+$/;
const BOOL = /^(true|false|1|0|yes|no)$/i;

/**
 * The environment variables the library reads, as validated by class-validator (their format;
 * the ranges of the numeric ones are in numeric.ranges.ts). Values stay
 * strings here; `backupOptionsFromEnv` converts them once they are known to be valid. Each
 * message names the variable and what is expected, and never echoes a secret's value.
 */
export class BackupEnvironment {
  @IsOptional()
  @Matches(/^(?!\.{1,2}$)[A-Za-z0-9._-]+$/, {
    message: 'BACKUP_NAME must use only letters, digits, ".", "_" and "-", and not be "." or ".." (it becomes a folder name)',
  })
  BACKUP_NAME?: string;

  @IsOptional()
  @Matches(/^\s*[A-Za-z0-9_-]+(\s*,\s*[A-Za-z0-9_-]+)*\s*$/, {
    message: 'BACKUP_DISKS must be a comma list of disk names such as "local,s3"',
  })
  BACKUP_DISKS?: string;

  @IsOptional()
  @IsIn(['aes256', 'none'], { message: 'BACKUP_ENCRYPTION must be "aes256" or "none"' })
  BACKUP_ENCRYPTION?: string;

  @ValidateIf((o: BackupEnvironment) => (o.BACKUP_ENCRYPTION ?? 'aes256') === 'aes256')
  @MinLength(32, {
    message: (a) =>
      a.value === undefined || a.value === ''
        ? 'BACKUP_ARCHIVE_PASSWORD is not set: backups are encrypted by default. Set a password of at least 32 characters, or set BACKUP_ENCRYPTION=none explicitly to store unencrypted archives'
        : `BACKUP_ARCHIVE_PASSWORD is too short (${String(a.value).length} characters): use at least 32 characters`,
  })
  BACKUP_ARCHIVE_PASSWORD?: string;

  @IsOptional()
  @Matches(INT, { message: 'BACKUP_COMPRESSION_LEVEL must be a whole number from 0 (stored) to 9' })
  BACKUP_COMPRESSION_LEVEL?: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]*$/, {
    message: 'BACKUP_FILENAME_PREFIX may use only letters, digits, ".", "_" and "-"',
  })
  BACKUP_FILENAME_PREFIX?: string;

  @IsOptional()
  @Matches(BOOL, { message: 'BACKUP_FOLLOW_SYMLINKS must be true or false' })
  BACKUP_FOLLOW_SYMLINKS?: string;

  // --- S3 (checked only when an "s3" disk is selected) ---
  @ValidateIf((o: BackupEnvironment) => o.usesS3())
  @MinLength(3, { message: 'AWS_BUCKET must be set (3 characters or more) when BACKUP_DISKS includes s3' })
  AWS_BUCKET?: string;

  @IsOptional()
  @Matches(/^https?:\/\/[^\s/]+(\/.*)?$/, {
    message: 'AWS_ENDPOINT must be an http(s) URL such as https://nyc3.digitaloceanspaces.com (leave it empty for AWS)',
  })
  AWS_ENDPOINT?: string;

  @IsOptional()
  @Matches(BOOL, { message: 'AWS_USE_PATH_STYLE_ENDPOINT must be true or false' })
  AWS_USE_PATH_STYLE_ENDPOINT?: string;

  @IsOptional()
  @IsIn(['WHEN_REQUIRED', 'WHEN_SUPPORTED'], {
    message: 'AWS_REQUEST_CHECKSUM_CALCULATION must be WHEN_REQUIRED or WHEN_SUPPORTED',
  })
  AWS_REQUEST_CHECKSUM_CALCULATION?: string;

  @IsOptional()
  @Matches(INT, { message: 'BACKUP_S3_PART_SIZE_MB must be a whole number of MB' })
  BACKUP_S3_PART_SIZE_MB?: string;

  @IsOptional()
  @Matches(/^([1-9]|[1-9]\d|[1-5]\d\d|600)$/, { message: 'BACKUP_S3_STALL_SECONDS must be a whole number of seconds from 1 to 600' })
  BACKUP_S3_STALL_SECONDS?: string;

  @IsOptional()
  @Matches(/^([0-9]|10)$/, { message: 'BACKUP_S3_RETRIES must be a whole number from 0 to 10' })
  BACKUP_S3_RETRIES?: string;

  @IsOptional()
  @Matches(/^([1-9]|1[0-6])$/, { message: 'BACKUP_S3_READ_CONCURRENCY must be a whole number from 1 to 16' })
  BACKUP_S3_READ_CONCURRENCY?: string;

  // --- retention ---
  @IsOptional() @Matches(INT, { message: 'BACKUP_KEEP_ALL_DAYS must be a whole number of days' })
  BACKUP_KEEP_ALL_DAYS?: string;
  @IsOptional() @Matches(INT, { message: 'BACKUP_KEEP_DAILY_DAYS must be a whole number of days' })
  BACKUP_KEEP_DAILY_DAYS?: string;
  @IsOptional() @Matches(INT, { message: 'BACKUP_KEEP_WEEKLY_WEEKS must be a whole number of weeks' })
  BACKUP_KEEP_WEEKLY_WEEKS?: string;
  @IsOptional() @Matches(INT, { message: 'BACKUP_KEEP_MONTHLY_MONTHS must be a whole number of months' })
  BACKUP_KEEP_MONTHLY_MONTHS?: string;
  @IsOptional() @Matches(INT, { message: 'BACKUP_KEEP_YEARLY_YEARS must be a whole number of years' })
  BACKUP_KEEP_YEARLY_YEARS?: string;
  @IsOptional()
  @Matches(/^(\d+|off)$/, { message: 'BACKUP_DELETE_OLDEST_WHEN_USING_MORE_MB must be a whole number of MB or "off"' })
  BACKUP_DELETE_OLDEST_WHEN_USING_MORE_MB?: string;
  @IsOptional()
  @Matches(/^([1-9]\d*|off)$/, { message: 'BACKUP_MAX_COUNT must be a positive whole number or "off"' })
  BACKUP_MAX_COUNT?: string;

  // --- monitoring ---
  @IsOptional()
  @Matches(/^\d+(\.\d+)?$/, { message: 'BACKUP_MAX_AGE_DAYS must be a number of days, e.g. 1 or 1.5' })
  BACKUP_MAX_AGE_DAYS?: string;
  @IsOptional() @Matches(INT, { message: 'BACKUP_MAX_STORAGE_MB must be a whole number of MB' })
  BACKUP_MAX_STORAGE_MB?: string;

  // --- schedules, retries, time limits ---
  @IsOptional() @IsCronOrOff() BACKUP_SCHEDULE_RUN?: string;
  @IsOptional() @IsCronOrOff() BACKUP_SCHEDULE_CLEAN?: string;
  @IsOptional() @IsCronOrOff() BACKUP_SCHEDULE_MONITOR?: string;
  @IsOptional() @IsCronOrOff() BACKUP_SCHEDULE_VERIFY?: string;
  @IsOptional() @IsTimeZone() BACKUP_TIMEZONE?: string;
  @IsOptional()
  @Matches(INT, { message: 'BACKUP_TRIES must be a whole number of attempts from 1 to 99' })
  BACKUP_TRIES?: string;
  @IsOptional() @Matches(INT, { message: 'BACKUP_RETRY_DELAY must be a whole number of seconds' })
  BACKUP_RETRY_DELAY?: string;
  @IsOptional()
  @Matches(/^([1-9]\d*|off)$/, { message: 'BACKUP_TIMEOUT must be a positive whole number of seconds or "off"' })
  BACKUP_TIMEOUT?: string;
  @IsOptional()
  @Matches(/^([1-9]\d{0,3}|[1-7]\d{4}|8[0-5]\d{3}|86[0-3]\d{2}|86400)$/, {
    message: 'BACKUP_RESTORE_LOCK_WAIT_SECONDS must be a whole number of seconds from 1 to 86400 (how long a restore\'s swap waits for locks)',
  })
  BACKUP_RESTORE_LOCK_WAIT_SECONDS?: string;
  @IsOptional()
  @Matches(/^([1-9]|1[0-6])$/, { message: 'BACKUP_RESTORE_JOBS must be a whole number from 1 to 16 (psql sessions loading a restore at once)' })
  BACKUP_RESTORE_JOBS?: string;

  @IsOptional()
  @Matches(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'BACKUP_TENANT_ENTITY must be an entity or table name (letters, digits, "_")' })
  BACKUP_TENANT_ENTITY?: string;
  @IsOptional()
  @Matches(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'BACKUP_TENANT_COLUMN must be a column name (letters, digits, "_"), e.g. tenant_id' })
  BACKUP_TENANT_COLUMN?: string;
  @IsOptional()
  @Matches(/^([^,]*\{tenant\}[^,]*)(,[^,]*\{tenant\}[^,]*)*$/, { message: 'BACKUP_TENANT_FILES must be a comma list of paths that each contain {tenant}, e.g. storage/app/tenants/{tenant}/**' })
  BACKUP_TENANT_FILES?: string;

  // --- audit trail and compliance report ---
  @IsOptional()
  @IsIn(['auto', 'db', 'file', 'off'], { message: 'BACKUP_AUDIT must be auto, db, file or off (where audit records are kept)' })
  BACKUP_AUDIT?: string;
  @IsOptional()
  @Matches(/^[^\0]+$/, { message: 'BACKUP_AUDIT_FILE must be a file path, e.g. storage/audit/backup.jsonl' })
  BACKUP_AUDIT_FILE?: string;
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'BACKUP_AUDIT_DATABASE must be a TypeORM DataSource name (letters, digits, "_", "-"), e.g. default' })
  BACKUP_AUDIT_DATABASE?: string;
  @IsOptional()
  @Matches(/^(?=.*[1-9])\d+(\.\d+)?$/, { message: 'BACKUP_RPO_HOURS must be a positive number of hours, e.g. 24 or 0.5' })
  BACKUP_RPO_HOURS?: string;
  @IsOptional()
  @Matches(/^(?=.*[1-9])\d+(\.\d+)?$/, { message: 'BACKUP_RTO_HOURS must be a positive number of hours, e.g. 4 or 0.5' })
  BACKUP_RTO_HOURS?: string;

  constructor(private readonly disks: string[] = []) {}

  usesS3(): boolean {
    return this.disks.includes('s3');
  }
}
