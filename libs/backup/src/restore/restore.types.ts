import { DatabaseDriver } from '../sources/connection-info';

/** What `backup:restore` (or a host calling RestoreService.restore) asks for. */
export interface RestoreRequest {
  /** File name (`2026-11-21-02-00-00.zip`) or full key (`<app>/2026-...zip`). */
  name?: string;
  /** Restore the newest backup on the disk instead of a named one. */
  latest?: boolean;
  /** Disk to read from; default the first of BACKUP_DISKS. */
  disk?: string;
  onlyDb?: boolean;
  onlyFiles?: boolean;
  /** Connection (DataSource) name whose dump to restore; default every configured database. */
  dbName?: string;
  /** Load into this database (created if missing) instead of the configured one. SQLite: a file path. */
  toDatabase?: string;
  /** Write files under this folder instead of back to their original paths. */
  filesTo?: string;
  /**
   * An archive without manifest.json (spatie/laravel-backup): the path prefix cut off its file
   * entries, e.g. `var/www/app/` (default: the app root when the files lie below it, else their
   * common root folder; see chooseFilesPrefix).
   */
  stripPrefix?: string;
  /** Print what would be restored and change nothing. */
  dryRun?: boolean;
  /** Allow overwriting the configured database(s) and files in place. */
  force?: boolean;
  /** Skip the safety backup of the current state taken before overwriting it. */
  noSafetyBackup?: boolean;
  /**
   * Remove what interrupted restores left (staging databases, `.part` and hidden `.tmp` files)
   * before restoring. Set only by callers that hold the `backup:run` cluster lock, so none of it
   * can belong to a restore or backup still running.
   */
  removeDebris?: boolean;
  /**
   * Awaited after the databases are swapped in and before the files are put in place: the CLI
   * waits there for its cluster lock, whose session a PostgreSQL swap ends, to be held again.
   */
  afterSwap?: () => Promise<void>;
  /**
   * PostgreSQL, MySQL/MariaDB: keep the replaced database as `<db>_old_<hex>` (MySQL: its
   * tables, views, triggers and routines) instead of dropping it once the restored copy is in
   * place. Default false: the safety backup already holds that state.
   */
  keepReplaced?: boolean;
  /** Read an archive whose entries are not encrypted with the configured password (a warning is printed). */
  allowUnencrypted?: boolean;
  /** Restore an archive whose manifest names another app than BACKUP_NAME. */
  allowOtherApp?: boolean;
  /** Go on when a dump's engine matches no target connection (that dump is skipped). */
  allowOtherEngine?: boolean;
  /**
   * Asked (after the archive verified) when live data would be overwritten and `force` is not
   * set; the CLI types the question on a terminal. Resolve true to go on.
   */
  confirm?: (question: ConfirmationQuestion) => Promise<boolean>;
  /** Progress lines for the CLI ("verifying", "loading ...", ...). */
  onStep?: (message: string) => void;
}

/** What a confirmation prompt shows: the live things about to be replaced. */
export interface ConfirmationQuestion {
  /** Databases to be replaced (database names, SQLite file paths). */
  databases: string[];
  /** Folder whose files would be overwritten in place, when files are restored there. */
  filesRoot?: string;
  /** The word the operator must type: the first database name, or "restore". */
  expected: string;
}

/** Rows of one table: what the manifest recorded and what the restored database holds. */
export interface TableCheck {
  table: string;
  /** null: the table is not in the manifest. */
  expected: number | null;
  /** null: the table is missing after the restore. */
  actual: number | null;
  ok: boolean;
}

export interface DatabaseRestorePlan {
  /** Connection (DataSource) name. */
  connection: string;
  driver: DatabaseDriver;
  /** Archive entry the dump is read from. */
  entry: string;
  /** Database the dump was taken from. */
  sourceDatabase: string;
  /** Database (or SQLite file) loaded into. */
  targetDatabase: string;
  /** True when the target is the configured (live) database. */
  inPlace: boolean;
  /** Rows per table recorded in the manifest. */
  tables: Record<string, number>;
  /** The archive records no row counts (spatie/laravel-backup): the rows loaded are reported, not compared. */
  noRowCounts?: boolean;
  /** The dump entry is gzip-compressed (`.sql.gz`), unpacked as it loads. */
  compression?: 'gzip';
}

export interface DatabaseRestoreResult extends DatabaseRestorePlan {
  /** The target did not exist and was created. */
  created: boolean;
  /** Where the replaced database was kept (`keepReplaced`). */
  replacedKeptAs?: string;
  /** Rows per table after the restore compared with the manifest. */
  checks: TableCheck[];
  ok: boolean;
  durationMs: number;
}

export interface FilesRestorePlan {
  count: number;
  bytes: number;
  /** Folder the files are written under. */
  target: string;
  inPlace: boolean;
  /** The prefix cut off the entries of a manifest-less archive (spatie/laravel-backup), and why that one. */
  strippedPrefix?: { prefix: string; how: 'flag' | 'app-root' | 'common-root' };
}

/** The outcome of a restore (or, with dryRun, of its plan). */
export interface RestoreReport {
  ok: boolean;
  dryRun: boolean;
  disk: string;
  /** Key of the restored archive. */
  backup: string;
  /** When the backup was made (manifest; else the date in its name), ISO 8601. */
  backupCreatedAt: string;
  /** Who laid the archive out: this library (manifest.json) or spatie/laravel-backup (none). */
  layout?: 'nest-backup' | 'spatie';
  /** What could not be checked for lack of a manifest (spatie/laravel-backup archives). */
  unchecked?: string[];
  verified: { entries: number; bytes: number; durationMs: number };
  /** Key of the safety backup taken before overwriting live data. */
  safetyBackup?: string;
  databases: DatabaseRestoreResult[];
  /** Dumps in the archive that were not restored, and why. */
  skippedDumps: Array<{ entry: string; reason: string }>;
  /** What --allow-unencrypted / --allow-other-app / --allow-other-engine let through. */
  warnings?: string[];
  files?: FilesRestorePlan;
  /** Measured recovery time: from the request to the last check. */
  durationMs: number;
}
