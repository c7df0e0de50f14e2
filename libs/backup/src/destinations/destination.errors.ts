import { BackupError } from '../common/backup.error';

/** A destination could not be reached or used at all (wrong key, missing bucket, no network). */
export class DestinationUnreachableError extends BackupError {}

/** An upload to one destination failed; the other destinations are not affected. */
export class UploadFailedError extends BackupError {}

/** The stored object's size differs from what was written; the object has been removed. */
export class UploadSizeMismatchError extends BackupError {}

/** A key that would escape the destination's root (absolute, `..`, empty). */
export class InvalidKeyError extends BackupError {}

/** The object asked for does not exist on the destination. */
export class ObjectNotFoundError extends BackupError {}

/** Every upload of a fan-out failed, so the archive producer is stopped. */
export class AllDestinationsFailedError extends BackupError {}

/** Rejects keys that are empty, absolute or contain `..` / `.` / empty segments. */
export function assertSafeKey(key: string): void {
  const segments = key.split('/');
  const bad =
    key.length === 0 ||
    key.startsWith('/') ||
    key.includes('\\') ||
    key.includes('\0') ||
    segments.some((s) => s === '' || s === '.' || s === '..');
  if (bad) {
    throw new InvalidKeyError(`invalid object key "${key}"`, 'use a relative key with "/" separators and no empty, "." or ".." segments');
  }
}
