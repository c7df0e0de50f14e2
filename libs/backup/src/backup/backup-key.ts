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
