import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { BACKUP_OPTIONS } from '../config/backup-options.token';
import { BackupModuleOptions } from '../config/backup-options.interface';
import { ConnectionResolver } from '../sources/connection.resolver';
import { BACKUP_LOCK, BackupLock } from './backup-lock.interface';
import { lockForConnection } from './lock.factory';

/** The jobs that run one at a time across every instance of the app. */
export type LockedJob = 'run' | 'clean' | 'monitor' | 'verify';

/**
 * `ran: false` only when another instance holds the lock. A lock that cannot be asked (its
 * database is down) does not stop the job: it runs unlocked, with a warning, and reports its
 * own failure rather than being skipped in silence.
 */
export type Exclusive<T> = { ran: true; value: T; locked: boolean } | { ran: false; reason: string };

/** A job holds the lock at most this long when no time limit says otherwise (file lock expiry). */
const DEFAULT_TTL_MS = 6 * 3600_000;

/**
 * Runs a job under the app's lock: the host's `lock` option, a BACKUP_LOCK provider, or the
 * lock chosen from its first backed-up database. One key per job and app
 * (`<BACKUP_NAME>:backup:run`), so a long backup does not block the health check.
 *
 * @example const r = await jobLock.exclusive('run', () => backups.run());
 */
@Injectable()
export class JobLock {
  private readonly logger = new Logger('BackupLock');
  private chosen?: BackupLock;

  constructor(
    @Inject(BACKUP_OPTIONS) private readonly options: BackupModuleOptions,
    private readonly connections: ConnectionResolver,
    @Optional() @Inject(BACKUP_LOCK) private readonly injected?: BackupLock,
  ) {}

  /** The lock in use (chosen on first use, so the host's DataSources are registered by then). */
  lock(): BackupLock {
    if (!this.chosen) {
      this.chosen = this.options.lock ?? this.injected ?? lockForConnection(this.firstDatabase());
    }
    return this.chosen;
  }

  key(job: LockedJob): string {
    return `${this.options.appName}:backup:${job}`;
  }

  /** Time a holder may keep the lock: all attempts with their limits and pauses, or 6 h. */
  ttlMs(): number {
    const a = this.options.attempts;
    if (!a?.timeoutMs) return DEFAULT_TTL_MS;
    return a.tries * a.timeoutMs + (a.tries - 1) * a.retryDelayMs + 60_000;
  }

  /** Runs `work` unless another instance holds the lock (never waits for it). */
  async exclusive<T>(
    job: LockedJob,
    work: (locked: boolean, stillHeld: () => Promise<boolean>) => Promise<T>,
    ttlMs = this.ttlMs(),
  ): Promise<Exclusive<T>> {
    const lock = this.lock();
    const key = this.key(job);
    let acquired: boolean;
    try {
      acquired = await lock.tryAcquire(key, ttlMs);
    } catch (err) {
      this.logger.warn(`${err instanceof Error ? err.message : String(err)} — running "${key}" without the lock`);
      return { ran: true, value: await work(false, async () => false), locked: false };
    }
    if (!acquired) return { ran: false, reason: `another instance holds the ${lock.describe?.() ?? 'lock'} for "${key}"` };
    try {
      const stillHeld = async () => (lock.whenHeld ? lock.whenHeld(key) : true);
      return { ran: true, value: await work(true, stillHeld), locked: true };
    } finally {
      await lock.release?.(key).catch((err) => this.logger.warn(`Releasing "${key}" failed: ${err.message}`));
    }
  }

  private firstDatabase() {
    const name = this.options.databases[0];
    if (!name) return undefined;
    try {
      return this.connections.resolveOne(name);
    } catch (err) {
      this.logger.warn(`No database to lock on (${(err as Error).message.split('\n')[0]}); using a lock file (one machine only)`);
      return undefined;
    }
  }
}

/** Exit code of a hand-started command that found its job running elsewhere (EX_TEMPFAIL). */
export const EXIT_LOCKED = 75;
