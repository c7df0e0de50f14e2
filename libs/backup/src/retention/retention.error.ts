import { BackupError } from '../common/backup.error';

/** A retention setting or a backup handed to the planner makes no sense. */
export class RetentionConfigError extends BackupError {}
