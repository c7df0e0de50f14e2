import { UnauthenticatedArchiveError } from './archive.errors';
import { isEmptyFolder, ZipEntryInfo } from './zip.reader';

/**
 * Which archives a reader accepts. With a password configured, only archives whose every entry
 * is WinZip AES with that password: the HMAC of each entry is what proves this library (holding
 * the password) wrote it. Without one (BACKUP_ENCRYPTION=none) plain archives are read as they are.
 */
export interface TrustPolicy {
  /** The configured archive password; undefined when encryption is off. */
  password?: string;
  /** `--allow-unencrypted`: read plain entries anyway (the caller prints unencryptedWarning). */
  allowUnencrypted?: boolean;
}

/**
 * Entries the central directory does not describe as WinZip AES (method 99 with its extra
 * field). Empty folder entries are not counted: 7-Zip and PHP's ZipArchive write them plain
 * even in an encrypted archive, and they carry no byte to authenticate.
 */
export function plainEntries(entries: ZipEntryInfo[]): string[] {
  return entries.filter((e) => !e.winZipAes && !isEmptyFolder(e)).map((e) => e.name);
}

/**
 * Applies the policy to the central directory, before any entry data is used: throws
 * UnauthenticatedArchiveError when a password is configured and an entry is plain, unless
 * plain entries are allowed. Returns the plain entries that were let through, for the warning.
 * That each AES entry opens with the password and its HMAC matches is checked as it is read.
 */
export function requireAuthenticated(entries: ZipEntryInfo[], policy: TrustPolicy): string[] {
  if (!policy.password) return [];
  const plain = plainEntries(entries);
  if (plain.length && !policy.allowUnencrypted)
    throw new UnauthenticatedArchiveError(plain, entries.filter((e) => !isEmptyFolder(e)).length);
  return plain;
}

/** The line a command prints when --allow-unencrypted let plain entries through. */
export function unencryptedWarning(plain: string[]): string {
  return (
    `WARNING: --allow-unencrypted: ${plain.length} entr${plain.length === 1 ? 'y is' : 'ies are'} not encrypted with the backup password, ` +
    'so nothing proves this library wrote them; anyone with write access to the storage could have.'
  );
}
