/**
 * Retries (a line per attempt, the time limit aborts an attempt's signal, an outside abort
 * stops retrying) and the lock file (O_EXCL, stale takeover when the holder's pid is dead or its
 * expiry passed). Real files in a temp folder; no database.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BackupTimeoutError, withRetries } from '../../libs/backup/src/backup/retry';
import { FileLock } from '../../libs/backup/src/lock/file.lock';

describe('withRetries', () => {
  const noSleep = async () => undefined;

  it('retries a failed attempt, logs a line per attempt and returns the first success', async () => {
    const lines: string[] = [];
    let n = 0;
    const result = await withRetries({ tries: 3, retryDelayMs: 60_000 }, undefined, async () => ({ ok: ++n === 2, n }), {
      succeeded: (r) => r.ok,
      describeFailure: (r) => `boom ${r.n}`,
      log: (l) => lines.push(l),
      sleep: noSleep,
    });
    expect(result).toEqual({ ok: true, n: 2 });
    expect(lines).toEqual(['Attempt 1/3 failed: boom 1; retrying in 60 s', 'Attempt 2/3 succeeded']);
  });

  it('aborts an attempt that exceeds its time limit with a BackupTimeoutError', async () => {
    const reasons: unknown[] = [];
    const result = await withRetries(
      { tries: 2, retryDelayMs: 0, timeoutMs: 50 },
      undefined,
      (a) => new Promise<boolean>((resolve) => a.signal.addEventListener('abort', () => (reasons.push(a.signal.reason), resolve(false)))),
      { succeeded: (ok) => ok, sleep: noSleep },
    );
    expect(result).toBe(false);
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toBeInstanceOf(BackupTimeoutError);
    expect((reasons[0] as Error).message).toMatch(/^The backup took longer than [\d.]+ s and was stopped/);
  });

  it('does not retry once the caller aborted (SIGTERM)', async () => {
    const outer = new AbortController();
    let attempts = 0;
    const lines: string[] = [];
    await withRetries(
      { tries: 5, retryDelayMs: 0 },
      outer.signal,
      async () => {
        attempts++;
        outer.abort(new Error('SIGTERM received'));
        return false;
      },
      { succeeded: (ok) => ok, log: (l) => lines.push(l), describeFailure: () => 'cancelled' },
    );
    expect(attempts).toBe(1);
    expect(lines).toEqual(['Attempt 1/5 failed: cancelled (stopped, no retry)']);
  });
});

describe('FileLock', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nbt-lock-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lets one holder in at a time and frees the key on release', async () => {
    const a = new FileLock(dir);
    const b = new FileLock(dir);
    expect(await a.tryAcquire('app:backup:run', 60_000)).toBe(true);
    expect(await b.tryAcquire('app:backup:run', 60_000)).toBe(false);
    expect(await b.tryAcquire('app:backup:clean', 60_000)).toBe(true);
    const record = JSON.parse(fs.readFileSync(a.pathOf('app:backup:run'), 'utf8'));
    expect(record).toMatchObject({ pid: process.pid, host: os.hostname() });
    expect((fs.statSync(a.pathOf('app:backup:run')).mode & 0o777).toString(8)).toBe('600');
    await b.release('app:backup:run'); // not b's: must not remove a's lock
    expect(await b.tryAcquire('app:backup:run', 60_000)).toBe(false);
    await a.release('app:backup:run');
    expect(await b.tryAcquire('app:backup:run', 60_000)).toBe(true);
  });

  it('takes over a lock whose holder process is dead', async () => {
    const a = new FileLock(dir);
    // A process that has exited: its pid is no longer alive.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    fs.writeFileSync(a.pathOf('k'), JSON.stringify({ pid: dead, host: os.hostname(), expiresAt: Date.now() + 3600_000, token: 'old' }));
    expect(await a.tryAcquire('k', 60_000)).toBe(true);
    expect(JSON.parse(fs.readFileSync(a.pathOf('k'), 'utf8')).pid).toBe(process.pid);
  });

  it('takes over a lock of another host only once its expiry has passed', async () => {
    let now = Date.parse('2026-03-10T02:00:00Z');
    const lock = new FileLock(dir, '', () => now);
    fs.writeFileSync(lock.pathOf('k'), JSON.stringify({ pid: 1, host: 'other-host', expiresAt: now + 60_000, token: 'theirs' }));
    expect(await lock.tryAcquire('k', 60_000)).toBe(false);
    now += 60_001;
    expect(await lock.tryAcquire('k', 60_000)).toBe(true);
  });
});
