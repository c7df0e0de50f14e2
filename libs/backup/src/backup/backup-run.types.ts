import { DumpFacts } from '../sources/database-dumper.interface';

/** What `backup:run` (or a host calling BackupService.run) asks for. */
export interface RunRequest {
  onlyDb?: boolean;
  onlyFiles?: boolean;
  /** DataSource names to dump instead of BACKUP_DATABASES. */
  dbNames?: string[];
  /** One disk to write to instead of BACKUP_DISKS. */
  onlyToDisk?: string;
  /** File name (".zip" appended when missing) instead of the dated one. */
  filename?: string;
  /** Replace a backup of that `filename` that already exists (refused otherwise). */
  overwrite?: boolean;
  /**
   * Exactly these files (absolute or relative to the app root) instead of BACKUP_INCLUDE /
   * BACKUP_EXCLUDE: the files a restore is about to overwrite, for its safety backup.
   */
  files?: string[];
  /** Extra exclude paths/globs for this run. */
  exclude?: string[];
  disableNotifications?: boolean;
  /** Called as archive bytes are produced (for a progress bar), with what each disk has uploaded where it says. */
  onProgress?: (bytes: number, uploaded?: Array<{ disk: string; bytes: number }>) => void;
  /** Cancels the run (SIGTERM, the host shutting down): no retry follows. */
  signal?: AbortSignal;
  /**
   * Remove the temporary files earlier runs left on the disks (a run killed with SIGKILL).
   * Set only by callers that hold the job lock, so no other run's upload can be in flight.
   */
  sweepTemporaryFiles?: boolean;
  /** Attempts in all (--tries; default BACKUP_TRIES, 1). */
  tries?: number;
  /** Pause between attempts in ms (--retry-delay; default BACKUP_RETRY_DELAY, 60 s). */
  retryDelayMs?: number;
  /** Time limit of one attempt in ms (--timeout; default BACKUP_TIMEOUT, none); null for none. */
  timeoutMs?: number | null;
  /**
   * Emit the outcome events (default true). Set false to run silently and decide later, e.g.
   * when the caller retries on its own; BackupService.emitOutcome sends them then.
   */
  emitEvents?: boolean;
  /** The caller prints the final outcome itself (backup:run): the last failed attempt is not logged as well. */
  callerReportsOutcome?: boolean;
  /** The moment the backup is named after (tests); default now. */
  now?: Date;
}

export interface DestinationOutcome {
  disk: string;
  ok: boolean;
  key: string;
  sizeBytes?: number;
  error?: string;
}

export interface RunReport {
  ok: boolean;
  key: string;
  archiveBytes: number;
  archiveSha256?: string;
  durationMs: number;
  databases: DumpFacts[];
  files: number;
  unreadableFiles: { path: string; error: string }[];
  destinations: DestinationOutcome[];
  /** Set when the run failed before any destination could be written. */
  error?: string;
  /** Attempts made (1 unless retried). */
  attempts?: number;
  /** Set when the run was stopped by its time limit or from outside (SIGTERM). */
  stopped?: 'timeout' | 'cancelled';
}
