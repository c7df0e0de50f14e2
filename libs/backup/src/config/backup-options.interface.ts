import { NotificationChannel } from '../notify/notification-channel.interface';
import { BackupDestination } from '../destinations/destination.interface';
import type { HealthCheck } from '../health/health-check.interface';
import { BackupLock } from '../lock/backup-lock.interface';
import { ConnectionInfo } from '../sources/connection-info';
import type { TenantOptions } from '../tenant/tenant.options';
import type { AuditSettings } from '../audit/audit.types';

/** Local disk destination settings (BACKUP_LOCAL_ROOT). */
export interface LocalDiskOptions {
  root: string;
}

/** S3-compatible destination settings (AWS_*). Credentials may come from the SDK's default chain. */
export interface S3DiskOptions {
  bucket: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** See shared reference: most non-AWS servers need WHEN_REQUIRED. */
  checksumMode: 'WHEN_REQUIRED' | 'WHEN_SUPPORTED';
  partSizeMb?: number;
  /** BACKUP_S3_STALL_SECONDS (1-600, default 20): a part or ranged read moving no byte this long is retried. */
  stallSeconds?: number;
  /** BACKUP_S3_RETRIES (0-10, default 3): tries after a stalled or dropped part / ranged read. */
  retries?: number;
  /** BACKUP_S3_READ_CONCURRENCY (1-16, default 4): ranged GETs in flight when a long range is read (restore, verify). */
  readConcurrency?: number;
}

export interface ArchiveOptions {
  encryption: 'aes256' | 'none';
  /** BACKUP_ARCHIVE_PASSWORD; required (32+ characters) unless encryption is 'none'. */
  password?: string;
  /** 0 = stored, 1-9 deflate. */
  compressionLevel: number;
  /**
   * Worker threads that encode small files (BACKUP_ARCHIVE_THREADS); undefined = one fewer than
   * the cores (at least 1, at most 4); 0 = on the main thread.
   */
  threads?: number;
  filenamePrefix: string;
}

export interface FileSelectionOptions {
  include: string[];
  exclude: string[];
  followSymlinks: boolean;
}

export interface RetentionSettings {
  keepAllDays: number;
  keepDailyDays: number;
  keepWeeklyWeeks: number;
  keepMonthlyMonths: number;
  keepYearlyYears: number;
  deleteOldestWhenUsingMoreMb: number | null;
  maxCount: number | null;
}

export interface MonitorSettings {
  disks: string[];
  maxAgeDays: number;
  maxStorageMb: number;
}

/** When the scheduled jobs fire (cron expressions in `timeZone`); null means "off". */
export interface ScheduleSettings {
  run: string | null;
  clean: string | null;
  monitor: string | null;
  verify: string | null;
  /** IANA time zone the expressions are read in (BACKUP_TIMEZONE, default UTC). */
  timeZone: string;
}

/** How often a run is tried and how long one attempt may take (BACKUP_TRIES, ...). */
export interface AttemptSettings {
  tries: number;
  retryDelayMs: number;
  /** Null: no time limit. */
  timeoutMs: number | null;
}

/** How a restore puts databases in place. */
export interface RestoreSettings {
  /**
   * Seconds a swap waits for locks other connections hold (an open transaction on a live
   * table) before it gives up, leaving the live database as it was (BACKUP_RESTORE_LOCK_WAIT_SECONDS, 1–86400, default 30).
   */
  lockWaitSeconds: number;
  /**
   * Client sessions loading a dump at once (BACKUP_RESTORE_JOBS, 1–16, default 1). PostgreSQL:
   * table data in ~2 MiB pieces over all of them, then the indexes side by side (1: one session
   * and one transaction). MariaDB/MySQL: each table's INSERTs in ~2 MiB jobs over all of them,
   * its plain secondary keys built after its rows (a mariadb-dump is never one transaction).
   * More pays off where the server has idle cores: on the 2-core bench machine, 2 sessions
   * restored MariaDB in 0.7× the time of one; PostgreSQL, which already builds each index with
   * parallel workers, gained little.
   */
  jobs?: number;
}

/** Everything BackupModule needs; `backupOptionsFromEnv` builds it from the environment. */
export interface BackupModuleOptions {
  /** BACKUP_NAME: the folder backups are stored under on every destination. */
  appName: string;
  /** Root that `files/<relative path>` entries are relative to (default: process.cwd()). */
  appRoot: string;
  /** Destinations written by `backup:run`, by name (BACKUP_DISKS). */
  disks: string[];
  local?: LocalDiskOptions;
  s3?: S3DiskOptions;
  /** Extra destinations supplied by the host, addressable by their `name` in `disks`. */
  destinations?: BackupDestination[];
  archive: ArchiveOptions;
  /** TypeORM DataSource names to dump (BACKUP_DATABASES); empty for none. */
  databases: string[];
  /** Explicit connections by DataSource name; looked up from TypeORM when absent. */
  connections?: ConnectionInfo[];
  files: FileSelectionOptions;
  retention: RetentionSettings;
  monitor: MonitorSettings;
  /** Raw environment for channel settings (MAIL_*, SLACK_WEBHOOK_URL, ...). */
  notificationEnv?: Record<string, string | undefined>;
  /**
   * Host notification channels (a `name` and `send`), routed by name in
   * BACKUP_FAILURE/HEALTH/SUCCESS_NOTIFICATIONS like the shipped ones.
   */
  notificationChannels?: NotificationChannel[];
  /** Host health checks run beside the built-in ones by HealthMonitor. */
  healthChecks?: HealthCheck[];
  /** How users start the CLI, used in messages ("npm run cli --"). */
  cliCommand: string;
  /** Cron schedules; used only when the host opts in with `schedule: true`. */
  schedules?: ScheduleSettings;
  /** Retries and time limit of runs and cleanups (defaults: 1 try, 60 s apart, no limit). */
  attempts?: AttemptSettings;
  /** Restore settings (BACKUP_RESTORE_*); default: swaps wait 30 s for locks. */
  restore?: RestoreSettings;
  /**
   * The lock that keeps scheduled and hand-started jobs to one at a time; default: chosen from
   * the first backed-up database (PostgreSQL advisory lock, MySQL GET_LOCK, else a lock file).
   */
  lock?: BackupLock;
  /** Multi-tenant scoping for tenant exports and restores (BACKUP_TENANT_*); see tenant/README.md. */
  tenant?: TenantOptions;
  /** Audit trail and compliance report (BACKUP_AUDIT*, BACKUP_RPO_HOURS, BACKUP_RTO_HOURS); defaults in audit/README.md. */
  audit?: Partial<AuditSettings>;
}
