import { createHash } from 'node:crypto';

/** A stable signed 64-bit number for `key` (pg_try_advisory_lock takes a bigint). */
export function advisoryLockId(key: string): string {
  return createHash('sha256').update(`nest-backup:${key}`).digest().readBigInt64BE(0).toString();
}

/** A GET_LOCK name of at most 64 characters that still shows what it guards. */
export function namedLockName(key: string): string {
  const readable = `nest-backup:${key}`;
  if (readable.length <= 64) return readable;
  return `${readable.slice(0, 47)}:${createHash('sha256').update(readable).digest('hex').slice(0, 16)}`;
}

/** A file name for `key`: letters, digits, ".", "_" and "-" only. */
export function lockFileName(key: string): string {
  return `${key.replace(/[^A-Za-z0-9._-]+/g, '_')}.lock`;
}
