/**
 * Events emitted through @nestjs/event-emitter. Payloads are plain values (no class instances,
 * no secrets) so a host can forward them anywhere. The names are the six users know from
 * spatie/laravel-backup.
 */
export const BackupEvents = {
  BackupSucceeded: 'backup.succeeded',
  BackupFailed: 'backup.failed',
  CleanupSucceeded: 'backup.cleanup.succeeded',
  CleanupFailed: 'backup.cleanup.failed',
  HealthyBackupFound: 'backup.health.healthy',
  UnhealthyBackupFound: 'backup.health.unhealthy',
} as const;

export type BackupEventName = (typeof BackupEvents)[keyof typeof BackupEvents];

export interface EventBase {
  /** BACKUP_NAME: the application's backup name. */
  appName: string;
  /** Disk name ("local", "s3", ...); undefined when the failure happened before any destination. */
  destination?: string;
  /** When the event happened (ISO 8601, UTC). */
  at: string;
}

export interface BackupSucceededEvent extends EventBase {
  destination: string;
  /** Object key of the archive, e.g. "my-app/2026-11-21-02-00-00.zip". */
  backupName: string;
  sizeBytes: number;
  durationMs: number;
}

export interface BackupFailedEvent extends EventBase {
  backupName?: string;
  /** What went wrong, already redacted. */
  error: string;
}

export interface CleanupSucceededEvent extends EventBase {
  destination: string;
  deleted: string[];
  usedBytesAfter: number;
}

export interface CleanupFailedEvent extends EventBase {
  error: string;
}

export interface HealthCheckFailure {
  check: string;
  message: string;
}

export interface HealthyBackupFoundEvent extends EventBase {
  destination: string;
  newestBackup?: string;
  newestBackupAt?: string;
}

export interface UnhealthyBackupFoundEvent extends EventBase {
  destination: string;
  newestBackup?: string;
  newestBackupAt?: string;
  failures: HealthCheckFailure[];
}

export interface BackupEventPayloads {
  [BackupEvents.BackupSucceeded]: BackupSucceededEvent;
  [BackupEvents.BackupFailed]: BackupFailedEvent;
  [BackupEvents.CleanupSucceeded]: CleanupSucceededEvent;
  [BackupEvents.CleanupFailed]: CleanupFailedEvent;
  [BackupEvents.HealthyBackupFound]: HealthyBackupFoundEvent;
  [BackupEvents.UnhealthyBackupFound]: UnhealthyBackupFoundEvent;
}

/**
 * Second argument of every emit. `disableNotifications` (the CLI's --disable-notifications)
 * silences the notification channels for this event; other listeners still receive it.
 */
export interface BackupEventMeta {
  disableNotifications?: boolean;
}
