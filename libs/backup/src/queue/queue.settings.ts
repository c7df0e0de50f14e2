import { BackupError } from '../common/backup.error';

/** The environment variable that turns the shared queue on. */
export const QUEUE_URL_ENV = 'BACKUP_QUEUE_REDIS_URL';

/**
 * How the shared job queue (BullMQ on Redis) is reached and how its workers behave, read from
 * the environment by queueSettingsFromEnv. Absent (no BACKUP_QUEUE_REDIS_URL): jobs run in the
 * process that starts them, as before.
 */
export interface QueueSettings {
  /** redis://[user:password@]host:port[/db] (rediss:// for TLS). May hold a password: never logged. */
  url: string;
  /** Key prefix of every Redis key of the queue (BullMQ `prefix`). */
  prefix: string;
  /** Name of the BullMQ queue under that prefix. */
  name: string;
  /** Jobs one instance's worker runs at the same time. */
  concurrency: number;
  /** Attempts per job in all (the first and the retries) when the work throws. */
  attempts: number;
  /** First pause before a retry; doubled at each further one. */
  backoffMs: number;
  /** How often a worker looks for jobs whose worker died (BullMQ `stalledInterval`). */
  stalledIntervalMs: number;
  /** How long a job's lock lasts without being renewed by its worker (BullMQ `lockDuration`). */
  lockDurationMs: number;
}

interface IntSetting {
  env: string;
  def: number;
  min: number;
  max: number;
}

/** The variables, their defaults and ranges (the README's configuration table lists the same). */
export const QUEUE_INT_SETTINGS = {
  concurrency: { env: 'BACKUP_QUEUE_CONCURRENCY', def: 1, min: 1, max: 64 },
  attempts: { env: 'BACKUP_QUEUE_ATTEMPTS', def: 3, min: 1, max: 100 },
  backoffMs: { env: 'BACKUP_QUEUE_BACKOFF_MS', def: 10_000, min: 0, max: 3_600_000 },
  stalledIntervalMs: { env: 'BACKUP_QUEUE_STALLED_INTERVAL_MS', def: 30_000, min: 500, max: 3_600_000 },
  lockDurationMs: { env: 'BACKUP_QUEUE_LOCK_DURATION_MS', def: 30_000, min: 1_000, max: 3_600_000 },
} satisfies Record<string, IntSetting>;

/**
 * The queue settings from the environment, or undefined when BACKUP_QUEUE_REDIS_URL is not set
 * (or empty). A malformed value is an error that names the variable, never its secret.
 *
 * @example const settings = queueSettingsFromEnv(process.env); // undefined: in-process jobs
 */
export function queueSettingsFromEnv(env: Record<string, string | undefined>): QueueSettings | undefined {
  const url = env[QUEUE_URL_ENV]?.trim();
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BackupError(
      `${QUEUE_URL_ENV} is not a URL (${describeRedisUrl(url)})`,
      'Set it to redis://[:password@]host:6379[/db], or rediss:// for TLS.',
    );
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new BackupError(
      `${QUEUE_URL_ENV} must start with redis:// or rediss:// (got ${parsed.protocol}//)`,
      'Set it to redis://[:password@]host:6379[/db].',
    );
  }
  const int = (s: IntSetting): number => {
    const raw = env[s.env]?.trim();
    if (!raw) return s.def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < s.min || n > s.max)
      throw new BackupError(
        `${s.env} must be a whole number from ${s.min} to ${s.max} (got "${raw}")`,
        `Unset it for the default (${s.def}).`,
      );
    return n;
  };
  const prefix = env.BACKUP_QUEUE_PREFIX?.trim() || 'nest-backup';
  if (/[\s{}:]/.test(prefix))
    throw new BackupError(
      `BACKUP_QUEUE_PREFIX must not contain spaces, braces or colons (got "${prefix}")`,
      'Use letters, digits, - and _.',
    );
  return {
    url,
    prefix,
    name: 'jobs',
    concurrency: int(QUEUE_INT_SETTINGS.concurrency),
    attempts: int(QUEUE_INT_SETTINGS.attempts),
    backoffMs: int(QUEUE_INT_SETTINGS.backoffMs),
    stalledIntervalMs: int(QUEUE_INT_SETTINGS.stalledIntervalMs),
    lockDurationMs: int(QUEUE_INT_SETTINGS.lockDurationMs),
  };
}

/** The URL as it may be shown: the password (and a user name) replaced by ***. */
export function describeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    if (u.username) u.username = u.password ? u.username : '***';
    return u.toString();
  } catch {
    return 'a value that is not a URL, not shown';
  }
}
