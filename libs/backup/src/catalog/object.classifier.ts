import { StoredObject } from '../destinations/destination.interface';
import { FUTURE_DATE_ALLOWANCE_MS, isFutureDated } from '../retention/retention.constants';
import { BackupEntry, StrangerEntry } from './backup-entry';

/**
 * The smallest archive this library can write: the 22-byte end-of-central-directory record,
 * plus manifest.json (every archive has one) as a 30-byte local header and a 46-byte central
 * directory record, each followed by its 13-byte name: 22 + 30 + 13 + 46 + 13 = 124 bytes, with
 * an empty manifest and no encryption. A real manifest is hundreds of bytes (the smallest real
 * backup, one 3-byte file without encryption, is 564 bytes), so anything smaller cannot be a
 * backup: a stub, a truncated upload, a file someone put there by hand.
 */
export const MIN_BACKUP_BYTES = 22 + 30 + 13 + 46 + 13;

/**
 * Sorts one object whose name is a dated backup name (checked by the caller) into a backup or
 * a stranger. Dated after now + FUTURE_DATE_ALLOWANCE_MS: "future-dated" (whatever its size:
 * something claims the backups' name space with a date this app's clock never wrote). Smaller
 * than MIN_BACKUP_BYTES: "foreign". Both are listed and reported, never counted or deleted.
 */
export function classifyObject(object: StoredObject, date: Date, now: Date): BackupEntry | StrangerEntry {
  const entry: BackupEntry = { key: object.key, date, size: object.size };
  if (isFutureDated(date, now)) {
    const small = object.size < MIN_BACKUP_BYTES ? `, too small to be a backup` : '';
    return {
      ...entry,
      kind: 'future-dated',
      reason:
        `named for ${date.toISOString()}, more than ${FUTURE_DATE_ALLOWANCE_MS / 60_000} minutes after now ` +
        `(${now.toISOString()})${small}: not written by this app's clock`,
    };
  }
  if (object.size < MIN_BACKUP_BYTES) {
    return {
      ...entry,
      kind: 'foreign',
      reason: `${object.size} bytes, smaller than the smallest possible backup (${MIN_BACKUP_BYTES} bytes): not an archive of this app`,
    };
  }
  return entry;
}

export function isStranger(entry: BackupEntry | StrangerEntry): entry is StrangerEntry {
  return 'kind' in entry;
}
