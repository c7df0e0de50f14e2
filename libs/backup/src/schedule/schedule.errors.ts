import { BackupError } from '../common/backup.error';

/** A schedule that cannot be registered; the app refuses to start with the variable's name. */
export class ScheduleConfigError extends BackupError {}
