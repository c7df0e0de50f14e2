import { abortOnSignals, SIGNAL_EXIT_CODES } from '../backup/retry';

export type StopSignal = keyof typeof SIGNAL_EXIT_CODES;

/** Longest wait for the clean-up after a signal before the process exits anyway. */
const CLEANUP_LIMIT_MS = 30_000;

/**
 * For commands that cannot simply be aborted (a restore, a verify): on the first SIGTERM/SIGINT
 * `onStop` runs (say what state things are in, clean up, write the audit record), then the
 * process exits 143 / 130 as `backup:run` does. A second signal gets Node's default (immediate
 * exit). Same handlers as `backup:run` (abortOnSignals).
 *
 * @example const signals = exitOnSignals(async (sig) => { ...; }); try { await work(); } finally { signals.dispose(); }
 */
export function exitOnSignals(onStop: (signal: StopSignal) => Promise<void>) {
  let stopping: Promise<never> | undefined;
  const state = abortOnSignals(new AbortController(), (signal) => {
    stopping = new Promise<never>(() => {
      const limit = setTimeout(() => process.exit(SIGNAL_EXIT_CODES[signal]), CLEANUP_LIMIT_MS);
      onStop(signal)
        .catch((err) => process.stderr.write(`Clean-up after ${signal} failed: ${err instanceof Error ? err.message : String(err)}\n`))
        .finally(() => {
          clearTimeout(limit);
          process.exit(SIGNAL_EXIT_CODES[signal]);
        });
    });
  });
  return {
    get received() {
      return state.received;
    },
    /** Never settles once a signal arrived (the process exits): await it instead of reporting the work's own failure. */
    get stopping() {
      return stopping;
    },
    dispose: () => state.dispose(),
  };
}
