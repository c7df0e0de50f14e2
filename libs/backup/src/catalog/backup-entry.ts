/** One backup archive on one destination, as the catalog lists it. */
export interface BackupEntry {
  /** Object key, e.g. "my-app/2026-11-21-02-00-00.zip". */
  key: string;
  /** When the backup was made: the UTC timestamp in its file name (never the file's mtime). */
  date: Date;
  /** Stored size in bytes. */
  size: number;
}

/**
 * An object named like a backup that is not counted as one (see object.classifier.ts):
 * "future-dated" (dated beyond the clock-skew allowance) or "foreign" (too small to be an
 * archive). Listed and reported; never the newest, never counted, never deleted.
 */
export interface StrangerEntry extends BackupEntry {
  kind: 'future-dated' | 'foreign';
  /** Why it is not counted, for a person. */
  reason: string;
}

/** One folder of one destination, sorted: the backups and the strangers, each newest first. */
export interface CatalogListing {
  backups: BackupEntry[];
  strangers: StrangerEntry[];
}

/** What `backup:list` shows for one destination. */
export interface CatalogSummary {
  /** Disk name ("local", "s3", ...). */
  destination: string;
  /** Human description without secrets, e.g. "local disk /var/backups". */
  description: string;
  reachable: boolean;
  /** Why the destination could not be reached or listed; set only when reachable is false. */
  error?: string;
  /** Number of backups this app wrote there (unrelated files are not counted). */
  count: number;
  /** The newest backup, or null when there is none (or the destination is unreachable). */
  newest: BackupEntry | null;
  /** Sum of the backups' sizes in bytes. */
  usedBytes: number;
  /** Objects named like backups that are not counted (future-dated, foreign), newest first. */
  strangers: StrangerEntry[];
}

/**
 * A folder of dated archives other than the full backups' `<appName>/`, e.g. a tenant's
 * `<appName>/tenants/<id>` (only `<folder>/<filenamePrefix>YYYY-MM-DD-HH-mm-ss.zip` keys
 * directly in it count; sub-folders and other names never do).
 */
export interface CatalogFolder {
  folder: string;
  /** Default '' (tenant exports carry no prefix; `pre-restore-` safety exports never match). */
  filenamePrefix?: string;
}
