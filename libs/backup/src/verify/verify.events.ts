/** Events emitted after each verified backup (plain values, no secrets), for monitoring. */
export const VerifyEvents = {
  VerifySucceeded: 'backup.verify.succeeded',
  VerifyFailed: 'backup.verify.failed',
} as const;

/** Rows of one table in a test restore: manifest vs. restored. */
export interface VerifyTableCount {
  table: string;
  expected: number | null;
  actual: number | null;
  ok: boolean;
}

/** One dump loaded into a scratch database and counted. */
export interface TestRestoreResult {
  driver: string;
  /** Database the dump was taken from. */
  database: string;
  /** The scratch database (SQLite: temp file) it was loaded into, then dropped. */
  scratchDatabase: string;
  scratchDropped: boolean;
  ok: boolean;
  tables: VerifyTableCount[];
  durationMs: number;
  error?: string;
}

/** The verification of one backup; also the payload of both events. */
export interface BackupVerification {
  appName: string;
  /** Disk name. */
  destination: string;
  /** Object key, e.g. "my-app/2026-11-21-02-00-00.zip". */
  backupName: string;
  ok: boolean;
  sizeBytes: number;
  entriesChecked: number;
  /** Plaintext bytes read and checked. */
  bytesChecked: number;
  faults: Array<{ entry?: string; message: string }>;
  /** Set when the archive could not be read at all (wrong password, not authenticated, truncated). */
  error?: string;
  /** Set when --allow-unencrypted let plain entries through. */
  warning?: string;
  /** `spatie`: the archive has no manifest.json and was read as spatie/laravel-backup's. */
  layout?: 'spatie';
  /** What could not be checked for lack of a manifest (no SHA-256, no row counts), said beside the ✔. */
  unchecked?: string[];
  /** Present when a test restore was asked for. */
  testRestore?: TestRestoreResult[];
  integrityMs: number;
  testRestoreMs?: number;
  durationMs: number;
  /** When the verification finished (ISO 8601, UTC). */
  at: string;
}

export type VerifySucceededEvent = BackupVerification;
export type VerifyFailedEvent = BackupVerification;

/** What `backup:verify` asks for. */
export interface VerifyRequest {
  /** File name or full key; default the newest backup. */
  name?: string;
  latest?: boolean;
  /** Every backup on the disk. */
  all?: boolean;
  /** Disk to read from; default the first of BACKUP_DISKS. */
  disk?: string;
  /** Load the dumps into scratch databases and compare row counts with the manifest. */
  testRestore?: boolean;
  /** Read archives whose entries are not encrypted with the configured password (a warning is printed). */
  allowUnencrypted?: boolean;
}

/** Everything `backup:verify` checked; `ok` only when every backup passed. */
export interface VerifyResult {
  ok: boolean;
  destination: string;
  backups: BackupVerification[];
  durationMs: number;
}
