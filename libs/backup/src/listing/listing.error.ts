import { BackupError } from '../common/backup.error';

/** A value handed to a listing formatter cannot be shown (negative size, invalid date, …). */
export class ListingFormatError extends BackupError {}
