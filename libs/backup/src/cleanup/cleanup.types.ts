import { CatalogFolder, StrangerEntry } from '../catalog/backup-entry';

export interface CleanupRequest {
  /** Plan and report, delete nothing, emit no events. */
  dryRun?: boolean;
  /** Events still fire, but the notification channels stay silent. */
  disableNotifications?: boolean;
  /** Disks to clean; default every backup disk (BACKUP_DISKS). */
  disks?: string[];
  /** The moment the retention periods are measured from; default now. */
  now?: Date;
  /**
   * Plan over the dated archives of this folder only (a tenant's `<appName>/tenants/<id>`);
   * default the full backups in `<appName>/`.
   */
  folder?: CatalogFolder;
}

/** A backup the plan removes, and why (which period, the size cap or the maximum count). */
export interface CleanupDeletion {
  key: string;
  size: number;
  reason: string;
}

/** A planned deletion the destination refused; the backup is still there. */
export interface CleanupDeleteFailure extends CleanupDeletion {
  error: string;
}

export interface DestinationCleanup {
  destination: string;
  description: string;
  /** False when the destination could not be listed or any deletion failed. */
  ok: boolean;
  /** Why the destination could not be cleaned at all (listing failed, unknown disk). */
  error?: string;
  /** Backups before the cleanup and their bytes. */
  countBefore: number;
  usedBytesBefore: number;
  /** Deleted (or, in a dry run, to be deleted), oldest first. */
  deleted: CleanupDeletion[];
  /** Deletions that failed; the run went on with the others. */
  failed: CleanupDeleteFailure[];
  /** Backups left (or that would be left) and their bytes. */
  countAfter: number;
  usedBytesAfter: number;
  /** Objects named like backups that are not (future-dated, too small): never counted or deleted. */
  leftAlone: StrangerEntry[];
}

export interface CleanupReport {
  ok: boolean;
  dryRun: boolean;
  destinations: DestinationCleanup[];
}
