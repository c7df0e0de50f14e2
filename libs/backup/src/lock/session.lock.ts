import { Logger } from '@nestjs/common';
import { Redactor } from '../common/redact';
import { ConnectionInfo } from '../sources/connection-info';
import { BackupLock } from './backup-lock.interface';
import { LockUnavailableError } from './lock.errors';

/**
 * A lock the database server holds for a session: taken on a connection of its own and kept for
 * the whole job. The server frees it when that session ends, so a holder killed with SIGKILL (or
 * a machine that vanished) never keeps it. Subclasses say how to connect, lock and unlock.
 */
export abstract class SessionLock<C extends { end(): Promise<void> }> implements BackupLock {
  protected readonly logger = new Logger('BackupLock');
  private readonly held = new Map<string, C>();

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
    const session = this.held.get(key);
    if (!session) return;
    this.held.delete(key);
    // Ending the session frees the lock even if the unlock query fails.
    await this.unlock(session, key).catch(() => undefined);
    await session.end().catch(() => undefined);
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
