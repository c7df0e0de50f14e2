import { CatalogSummary } from '../catalog/backup-entry';
import { IncompleteUpload } from '../destinations/destination.interface';
import { HealthCheck } from './health-check.interface';
import { HealthCheckFailure } from '../events/backup.events';

/** One destination's health: its catalog summary plus every failed check. */
export interface DestinationHealth extends CatalogSummary {
  healthy: boolean;
  /** Every failed check with its message (all of them, not just the first). */
  failures: HealthCheckFailure[];
  /** Checks not run because the destination could not be reached. */
  skipped: string[];
  /** Incomplete multipart uploads under the app's folder (S3), when the server can list them. */
  incompleteUploads?: IncompleteUpload[];
  /** Worth a look, not unhealthy: incomplete uploads, a missing lifecycle rule. */
  warnings?: string[];
}

export interface HealthReport {
  /** True when every destination checked is healthy. */
  healthy: boolean;
  /** When the checks ran (ISO 8601, UTC). */
  checkedAt: string;
  destinations: DestinationHealth[];
}

export interface HealthRequest {
  /** Disks to check; default the monitored disks (BACKUP_MONITOR_DISKS). */
  disks?: string[];
  /** The moment ages are measured against; default now. */
  now?: Date;
}

export interface MonitorRequest extends HealthRequest {
  /** Events still fire, but the notification channels stay silent (--disable-notifications). */
  disableNotifications?: boolean;
}

/** Module options that carry host checks directly (`BackupModule.forRoot({ ..., healthChecks })`). */
export interface HealthCheckOptions {
  healthChecks?: HealthCheck[];
}
