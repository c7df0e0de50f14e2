import { BackupError } from '../common/backup.error';

/** The admin API cannot start: no usable token and no guard. Never carries the token. */
export class AdminTokenError extends BackupError {}

/** A request the API refuses (a bad parameter): answered 400 with the hint. */
export class AdminRequestError extends BackupError {}
