import { BackupError } from '../common/backup.error';

/** The lock itself could not be asked (database down, folder not writable). */
export class LockUnavailableError extends BackupError {}
