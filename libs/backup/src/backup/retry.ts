import { BackupError } from '../common/backup.error';

/** How a job is attempted: BACKUP_TRIES / --tries, BACKUP_RETRY_DELAY, BACKUP_TIMEOUT. */
export interface RetryPolicy {
  /** Attempts in all (1 = no retry). */
  tries: number;
  retryDelayMs: number;
  /** Time limit of one attempt; undefined/null for none. */
  timeoutMs?: number | null;
}

/** An attempt that ran out of time: its signal is aborted with this reason. */
export class BackupTimeoutError extends BackupError {
  constructor(
    readonly timeoutMs: number,
    what = 'The backup',
  ) {
    super(
      `${what} took longer than ${formatSeconds(timeoutMs)} and was stopped`,
      'Raise BACKUP_TIMEOUT (or --timeout), or back up less at once (--only-db / --only-files).',
    );
  }
}

/** The run was stopped from outside (SIGTERM, SIGINT, the host shutting down). */
export class BackupCancelledError extends BackupError {
  constructor(reason?: unknown) {
    super(`The backup was cancelled${describeReason(reason)}`, "Nothing was kept under the backup's name; run it again.");
  }
}

export interface Attempt {
  /** 1-based. */
  number: number;
  tries: number;
  /** Aborted when the caller's signal aborts or this attempt's time limit passes. */
  signal: AbortSignal;
}

export interface RetryHooks<R> {
  /** Whether an attempt's result counts as success (exceptions always count as failure). */
  succeeded(result: R): boolean;
  /** One line per attempt, e.g. for the log; `outcome.last` is true when no retry follows. */
  log?(line: string, outcome: { ok: boolean; last: boolean }): void;
  /** Why an attempt failed, for its log line. */
  describeFailure?(result: R): string;
  /** For tests: how to wait between attempts. */
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * Runs `attempt` up to `policy.tries` times, `retryDelayMs` apart, each under its own time limit.
 * Returns the first successful result or the last one. No retry follows an outside abort: a
 * process being stopped must stop, not start again.
 *
 * @example const report = await withRetries({ tries: 3, retryDelayMs: 60_000 }, signal, (a) => run(a.signal), { succeeded: (r) => r.ok });
 */
export async function withRetries<R>(
  policy: RetryPolicy,
  outer: AbortSignal | undefined,
  attempt: (a: Attempt) => Promise<R>,
  hooks: RetryHooks<R>,
): Promise<R> {
  const tries = Math.max(1, Math.floor(policy.tries));
  const sleep = hooks.sleep ?? abortableSleep;
  for (let n = 1; ; n++) {
    const timeout = policy.timeoutMs ? new AbortController() : undefined;
    const timer = timeout && setTimeout(() => timeout.abort(new BackupTimeoutError(policy.timeoutMs!)), policy.timeoutMs!);
    const signals = [outer, timeout?.signal].filter((s): s is AbortSignal => !!s);
    const signal = signals.length === 1 ? signals[0] : AbortSignal.any(signals);
    const label = tries > 1 ? `Attempt ${n}/${tries}` : 'Attempt 1/1';
    let result: R;
    try {
      result = await attempt({ number: n, tries, signal });
    } finally {
      if (timer) clearTimeout(timer);
    }
    const ok = hooks.succeeded(result);
    const last = n >= tries || !!outer?.aborted;
    hooks.log?.(
      ok
        ? `${label} succeeded`
        : `${label} failed: ${hooks.describeFailure?.(result) ?? 'see above'}` +
            (last ? (n < tries ? ' (stopped, no retry)' : '') : `; retrying in ${formatSeconds(policy.retryDelayMs)}`),
      { ok, last },
    );
    if (ok || last) return result;
    try {
      await sleep(policy.retryDelayMs, outer);
    } catch {
      return result; // stopped while waiting: the last result is the outcome
    }
  }
}

/** Resolves after `ms`; rejects at once when `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

function describeReason(reason: unknown): string {
  if (reason === undefined) return '';
  const text = reason instanceof Error ? reason.message : String(reason);
  return text ? ` (${text})` : '';
}

/** Exit codes a stopped process ends with (128 + signal number, as shells report them). */
export const SIGNAL_EXIT_CODES: Record<'SIGTERM' | 'SIGINT', number> = { SIGTERM: 143, SIGINT: 130 };

/**
 * Aborts `controller` on the first SIGTERM/SIGINT (a deploy at 02:05, Ctrl-C) so the run stops
 * cleanly; a second signal gets Node's default (immediate exit). Returns the signal received
 * (if any) and a function that removes the handlers.
 */
export function abortOnSignals(controller: AbortController, onSignal?: (signal: 'SIGTERM' | 'SIGINT') => void) {
  const state: { received?: 'SIGTERM' | 'SIGINT'; dispose(): void } = { dispose };
  const handlers = (['SIGTERM', 'SIGINT'] as const).map((sig) => {
    const handler = () => {
      dispose();
      state.received = sig;
      onSignal?.(sig);
      controller.abort(new BackupCancelledError(`${sig} received`));
    };
    process.once(sig, handler);
    return [sig, handler] as const;
  });
  function dispose() {
    for (const [sig, handler] of handlers) process.off(sig, handler);
  }
  return state;
}

/** Parses --tries / --retry-delay / --timeout: a whole number of at least `min`. */
export function parseAttemptOption(flag: string, value: string, min = 1): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < min) {
    throw new BackupError(
      `${flag} must be a whole number${min > 0 ? ` of at least ${min}` : ''} (got "${value}")`,
      flag === '--tries' ? 'e.g. --tries 3' : `e.g. ${flag} 60 (seconds)`,
    );
  }
  return Number(value);
}
