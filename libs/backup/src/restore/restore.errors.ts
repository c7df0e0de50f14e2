import { BackupError } from '../common/backup.error';

/** The named backup is not on the disk; the message lists the newest ones that are. */
export class BackupNotFoundError extends BackupError {
  constructor(
    readonly key: string,
    disk: string,
    newest: string[],
  ) {
    super(
      `No backup "${key}" on disk "${disk}"`,
      newest.length
        ? `The newest backups there are: ${newest.join(', ')}. Pass one of those names, or --latest.`
        : 'That disk holds no backups of this app yet; check --disk and BACKUP_NAME.',
    );
  }
}

/** The archive failed verification; nothing was restored. */
export class ArchiveVerificationError extends BackupError {}

/** Overwriting live data needs --force (or a typed confirmation on a terminal). */
export class RestoreNotConfirmedError extends BackupError {}

/** The request cannot be carried out as asked (ambiguous database, empty archive, ...). */
export class RestoreRequestError extends BackupError {}

/** The safety backup of the current state failed, so the restore did not start. */
export class SafetyBackupFailedError extends BackupError {}

/** Loading a verified backup failed part-way; the message names the safety backup to go back to. */
export class RestoreFailedError extends BackupError {}

/**
 * The restored copy's rows per table differ from the manifest, so it was not put in place;
 * the target database was left as it was.
 */
export class RowCountMismatchError extends BackupError {}

/** Putting the restored copy in place of the live database failed; the live one was kept. */
export class DatabaseSwapError extends BackupError {}
