import { BackupError } from '../common/backup.error';

/** The password does not open this archive (the WinZip AES verifier did not match). */
export class WrongPasswordError extends BackupError {
  constructor(readonly entry?: string) {
    super(
      `Wrong password for the archive${entry ? ` (checked on entry "${entry}")` : ''}`,
      'Use the password the backup was made with (BACKUP_ARCHIVE_PASSWORD at the time of the backup).',
    );
  }
}

/** The archive is encrypted but no password was given. */
export class PasswordRequiredError extends BackupError {
  constructor(readonly entry?: string) {
    super(
      `The archive is encrypted${entry ? ` (entry "${entry}")` : ''} and no password was given`,
      'Pass the archive password (BACKUP_ARCHIVE_PASSWORD).',
    );
  }
}

/** An entry's data does not match its checks (HMAC, CRC-32, size, manifest SHA-256) or cannot be decoded. */
export class CorruptArchiveError extends BackupError {
  constructor(
    readonly entry: string | undefined,
    readonly problem: string,
  ) {
    super(
      entry ? `Archive entry "${entry}" is corrupt: ${problem}` : `The archive is corrupt: ${problem}`,
      'The backup file was damaged in storage or transfer; restore from another copy or another backup.',
    );
  }
}

/** The file is not a ZIP archive at all. */
export class NotAZipError extends BackupError {
  constructor(readonly detail: string) {
    super(`Not a ZIP archive: ${detail}`, 'Check that you picked a backup archive (.zip) made by this library or 7-Zip.');
  }
}

/** The file starts like a ZIP archive but ends early (an interrupted upload or copy). */
export class TruncatedArchiveError extends BackupError {
  constructor(readonly detail: string) {
    super(
      `The archive is truncated or cut off: ${detail}`,
      'The backup file is incomplete (interrupted upload or copy); use another copy or another backup.',
    );
  }
}

/** An entry name could escape the extraction directory (zip-slip) or is otherwise unusable. */
export class UnsafeEntryNameError extends BackupError {
  constructor(
    readonly entryName: string,
    readonly reason: string,
  ) {
    super(
      `Unsafe archive entry name ${JSON.stringify(entryName)}: ${reason}`,
      'Entry names must be relative paths with "/" separators, without "..", drive letters, backslashes or NUL.',
    );
  }
}

/** The archive uses a feature this reader does not handle (e.g. legacy ZipCrypto, bzip2). */
export class UnsupportedArchiveError extends BackupError {
  constructor(
    readonly entry: string,
    readonly feature: string,
  ) {
    super(`Archive entry "${entry}" uses ${feature}, which this library cannot read`, 'Extract it with 7-Zip instead.');
  }
}

/**
 * A password is configured but entries of the archive are not WinZip AES encrypted with it, so
 * nothing proves this library wrote them: anyone able to write to the storage could have.
 */
export class UnauthenticatedArchiveError extends BackupError {
  constructor(
    readonly entries: string[],
    /** How many entries the archive has. */
    readonly total = entries.length,
  ) {
    const shown =
      entries
        .slice(0, 5)
        .map((e) => `"${e}"`)
        .join(', ') + (entries.length > 5 ? ` and ${entries.length - 5} more` : '');
    const which =
      entries.length === total && total > 1
        ? `none of its ${total} entries is encrypted`
        : `${entries.length === 1 ? 'entry' : 'entries'} ${shown} ${entries.length === 1 ? 'is' : 'are'} not encrypted`;
    super(
      `The archive is not authenticated: ${which} with the backup password (WinZip AES), ` +
        'so anyone with write access to the storage could have written it; nothing was read or changed',
      'If you made this archive yourself without encryption, run again with --allow-unencrypted; otherwise treat the storage as compromised and use another backup.',
    );
  }
}
