import { ConnectionInfo } from '../sources/connection-info';

/** How long a swap waits for another connection's locks by default (BACKUP_RESTORE_LOCK_WAIT_SECONDS). */
export const DEFAULT_LOCK_WAIT_SECONDS = 30;

export interface SwapOptions {
  /** Name the replaced database (PostgreSQL) or its tables (MySQL) go to. */
  old: string;
  /** Keep `old` instead of dropping it after the swap. */
  keepReplaced: boolean;
  /** Progress lines (the CLI prints them). */
  onStep: (message: string) => void;
  /**
   * Seconds a statement of the swap waits for locks other connections hold (an open
   * transaction on a live table) before the swap gives up and leaves the live database as it
   * was; default DEFAULT_LOCK_WAIT_SECONDS.
   */
  lockWaitSeconds?: number;
}

export interface SwapResult {
  /** Name the replaced database is kept under, when `keepReplaced` was set. */
  keptAs?: string;
  /** Clean-up after a committed swap that failed (the restore itself succeeded). */
  warnings: string[];
}

/**
 * Puts a fully loaded and checked staging database in place of a live one, all at once: either
 * the live name serves the restored data afterwards, or (on any error) the live database is
 * exactly as it was. `server` carries host and credentials; its `database` is not used.
 */
export interface DatabaseSwapper {
  swap(server: ConnectionInfo, staging: string, live: string, options: SwapOptions): Promise<SwapResult>;
}
