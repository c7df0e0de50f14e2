import { Logger } from '@nestjs/common';
import { Redactor } from '../common/redact';
import { ConnectionInfo } from '../sources/connection-info';
import { BackupLock } from './backup-lock.interface';
import { LockUnavailableError } from './lock.errors';

/** Wait before taking a lost lock again: a PostgreSQL swap renames the database in between. */
const RETAKE_DELAY_MS = 1_500;
const RETAKE_ATTEMPTS = 10;

/**
 * A lock the database server holds for a session: taken on a connection of its own and kept for
 * the whole job. The server frees it when that session ends, so a holder killed with SIGKILL (or
 * a machine that vanished) never keeps it. Subclasses say how to connect, lock and unlock.
 */
export abstract class SessionLock<C extends { end(): Promise<void>; once?(event: 'end', fn: () => void): unknown }> implements BackupLock {
  protected readonly logger = new Logger('BackupLock');
  private readonly held = new Map<string, C>();
  /** Keys this process holds or means to hold until it releases them. */
  private readonly wanted = new Set<string>();
  /** Keys being taken again after their session ended (resolves true once held again). */
  private readonly retakes = new Map<string, Promise<boolean>>();

  constructor(protected readonly connection: ConnectionInfo) {}

  abstract describe(): string;
  /** A new connection; a dropped one must only be logged (see `lost`), never crash the process. */
  protected abstract open(): Promise<C>;
  /** Takes the lock without waiting; true when it was free. */
  protected abstract lock(session: C, key: string): Promise<boolean>;
  protected abstract unlock(session: C, key: string): Promise<unknown>;

  async tryAcquire(key: string, _ttlMs: number): Promise<boolean> {
    if (this.held.has(key)) return false;
    let session: C;
    try {
      session = await this.open();
    } catch (err) {
      throw this.unavailable(err);
    }
    try {
      if (await this.lock(session, key)) {
        this.held.set(key, session);
        this.wanted.add(key);
        this.watch(key, session);
        return true;
      }
    } catch (err) {
      await session.end().catch(() => undefined);
      throw this.unavailable(err);
    }
    await session.end().catch(() => undefined);
    return false;
  }

  async release(key: string): Promise<void> {
    this.wanted.delete(key);
    const session = this.held.get(key);
    if (!session) return;
    this.held.delete(key);
    // Ending the session frees the lock even if the unlock query fails.
    await this.unlock(session, key).catch(() => undefined);
    await session.end().catch(() => undefined);
  }

  /**
   * A held lock whose session ends under it is taken again on a new session. A restore in place
   * of a PostgreSQL database ends every session on it to rename it, this lock's too: without
   * this, the rest of the restore (its files) would run unlocked.
   */
  private watch(key: string, session: C): void {
    session.once?.('end', () => {
      if (this.held.get(key) !== session || !this.wanted.has(key)) return;
      this.held.delete(key);
      const retake = this.retake(key);
      this.retakes.set(key, retake);
      void retake.finally(() => this.retakes.delete(key));
    });
  }

  /**
   * True once `key` is held on a live session. A session that a swap has just ended may not
   * have said so yet: a query on it finds out, and the lock is then taken again before this
   * returns (false when it could not be). A restore calls it before it changes files after a
   * swap, so nothing else starts in between.
   */
  async whenHeld(key: string): Promise<boolean> {
    const session = this.held.get(key);
    if (
      session &&
      (await this.ping(session).then(
        () => true,
        () => false,
      ))
    )
      return true;
    // The failed query ends the session; its 'end' event starts the retake.
    for (let waited = 0; !this.retakes.has(key) && this.held.get(key) === session && waited < 2_000; waited += 50) {
      await new Promise((r) => setTimeout(r, 50));
    }
    return (await this.retakes.get(key)) ?? this.held.has(key);
  }

  /** A query that fails on a session the server has ended. */
  protected ping(session: C): Promise<unknown> {
    return (session as unknown as { query(sql: string): Promise<unknown> }).query('SELECT 1');
  }

  private async retake(key: string): Promise<boolean> {
    for (let attempt = 1; attempt <= RETAKE_ATTEMPTS && this.wanted.has(key); attempt++) {
      await new Promise((r) => setTimeout(r, RETAKE_DELAY_MS));
      let session: C;
      try {
        session = await this.open();
      } catch {
        continue;
      }
      const got = await this.lock(session, key).catch(() => false);
      if (got && this.wanted.has(key)) {
        this.held.set(key, session);
        this.watch(key, session);
        this.logger.log(`The ${this.describe()} for "${key}" was taken again after its connection ended`);
        return true;
      }
      if (got) await this.unlock(session, key).catch(() => undefined);
      await session.end().catch(() => undefined);
      if (!got) break;
    }
    if (this.wanted.has(key))
      this.logger.warn(`The ${this.describe()} for "${key}" was lost with its connection and could not be taken again`);
    return false;
  }

  protected readonly lost = (err: Error): void => this.logger.warn(`Lock connection lost: ${this.redact(err)}`);

  private unavailable(err: unknown): LockUnavailableError {
    if (err instanceof LockUnavailableError) return err;
    return new LockUnavailableError(
      `Cannot take the ${this.describe()}: ${this.redact(err)}`,
      'Is the database server running? The job is skipped on this instance until it is.',
    );
  }

  private redact(err: unknown): string {
    return new Redactor([this.connection.password]).redact(err instanceof Error ? err.message : String(err));
  }
}
