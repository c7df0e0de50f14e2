/**
 * Archive names this library writes and reads back: `<backupName>/<prefix>YYYY-MM-DD-HH-mm-ss.zip`,
 * the timestamp in UTC (the name spatie/laravel-backup users know). One module writes and parses
 * the format, so the two cannot drift apart. Cleanup and listing only ever touch keys that match,
 * so unrelated files in the same prefix are never counted or deleted.
 */
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `<prefix>YYYY-MM-DD-HH-mm-ss.zip` in UTC, the name spatie/laravel-backup users know. */
export function backupFileName(date: Date, prefix = ''): string {
  return (
    `${prefix}${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}-` +
    `${pad(date.getUTCHours())}-${pad(date.getUTCMinutes())}-${pad(date.getUTCSeconds())}.zip`
  );
}

/** The object key of a backup on every destination: `<appName>/<file name>`. */
export function backupKey(appName: string, fileName: string): string {
  return `${appName}/${fileName}`;
}

const STAMP = /(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})\.zip$/;

/** The UTC date in a backup key's file name ("…/app-2016-01-01-22-00-00.zip"), or null. */
export function backupDateFromKey(key: string): Date | null {
  const fileName = key.slice(key.lastIndexOf('/') + 1);
  const m = STAMP.exec(fileName);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Reject impossible stamps (2016-02-30, 25:00) instead of letting Date roll them over.
  const valid =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  return valid ? date : null;
}

/**
 * True only for an archive this library wrote for `backupName`: directly in that folder (not in
 * a sub-folder), named `<filenamePrefix>YYYY-MM-DD-HH-mm-ss.zip` with a real date.
 */
export function isBackupKey(key: string, backupName: string, filenamePrefix = ''): boolean {
  const folder = backupName.replace(/\/+$/, '');
  const expectedStart = folder === '' ? '' : `${folder}/`;
  if (!key.startsWith(expectedStart)) return false;
  const fileName = key.slice(expectedStart.length);
  if (fileName.includes('/') || !fileName.startsWith(filenamePrefix)) return false;
  const stamp = fileName.slice(filenamePrefix.length);
  return /^\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.zip$/.test(stamp) && backupDateFromKey(key) !== null;
}
