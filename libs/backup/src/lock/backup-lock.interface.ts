/**
 * A lock that works across processes (and, for the database locks, machines), so a job that
 * every instance of an app schedules runs on one of them. Shaped like @nestjs/schedule's
 * `CronLocker` (`tryAcquire(key, ttlMs)`, optional `release(key)`), so one object can serve both.
 *
 * A holder that crashes must never keep the lock: database locks live in the holder's own
 * session, the file lock records the holder's pid and an expiry.
 *
 * @example
 * if (await lock.tryAcquire('my-app:backup:run', 6 * 3600_000)) {
 *   try { await work(); } finally { await lock.release?.('my-app:backup:run'); }
 * }
 */
export interface BackupLock {
  /** True when this process now holds `key`; false at once when another holder has it. */
  tryAcquire(key: string, ttlMs: number): Promise<boolean>;
  release?(key: string): Promise<void>;
  /** For log lines, without secrets: e.g. "PostgreSQL advisory lock on 127.0.0.1:5432/app". */
  describe?(): string;
  /**
   * Resolves once `key` is held on a live session again (a database lock whose session a
   * PostgreSQL swap ended is taken again first); false when it was lost. Locks that cannot be
   * lost this way leave it out.
   */
  whenHeld?(key: string): Promise<boolean>;
}

/** Injection token of the lock the host supplies instead of the one chosen from its database. */
export const BACKUP_LOCK = Symbol('BACKUP_LOCK');
