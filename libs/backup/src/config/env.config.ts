import * as path from 'node:path';
import { BackupConfigError } from './backup-config.error';
import { environmentProblems } from './backup.environment';
import { BackupModuleOptions } from './backup-options.interface';
import { channelsFromEnv, hostChannelNamesIn } from '../notify/notify.config';
import { numericRangeProblems } from './numeric.ranges';
import type { Env } from './env.types';

export type { Env };

/** Every variable `backupOptionsFromEnv` reads, for ConfigService look-ups and the README. */
export const BACKUP_ENV_KEYS = [
  'APP_NAME',
  'BACKUP_NAME',
  'BACKUP_APP_ROOT',
  'BACKUP_DISKS',
  'BACKUP_DISK',
  'BACKUP_LOCAL_ROOT',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_DEFAULT_REGION',
  'AWS_BUCKET',
  'AWS_ENDPOINT',
  'AWS_USE_PATH_STYLE_ENDPOINT',
  'AWS_REQUEST_CHECKSUM_CALCULATION',
  'BACKUP_S3_PART_SIZE_MB',
  'BACKUP_S3_STALL_SECONDS',
  'BACKUP_S3_RETRIES',
  'BACKUP_S3_READ_CONCURRENCY',
  'BACKUP_ARCHIVE_PASSWORD',
  'BACKUP_ENCRYPTION',
  'BACKUP_COMPRESSION_LEVEL',
  'BACKUP_ARCHIVE_THREADS',
  'BACKUP_DATABASES',
  'BACKUP_INCLUDE',
  'BACKUP_EXCLUDE',
  'BACKUP_FOLLOW_SYMLINKS',
  'BACKUP_FILENAME_PREFIX',
  'BACKUP_KEEP_ALL_DAYS',
  'BACKUP_KEEP_DAILY_DAYS',
  'BACKUP_KEEP_WEEKLY_WEEKS',
  'BACKUP_KEEP_MONTHLY_MONTHS',
  'BACKUP_KEEP_YEARLY_YEARS',
  'BACKUP_DELETE_OLDEST_WHEN_USING_MORE_MB',
  'BACKUP_MAX_COUNT',
  'BACKUP_MONITOR_DISKS',
  'BACKUP_MAX_AGE_DAYS',
  'BACKUP_MAX_STORAGE_MB',
  'BACKUP_CLI_COMMAND',
  'MAIL_HOST',
  'MAIL_PORT',
  'MAIL_USERNAME',
  'MAIL_PASSWORD',
  'MAIL_FROM_ADDRESS',
  'MAIL_ENCRYPTION',
  'BACKUP_NOTIFICATION_EMAIL',
  'SLACK_WEBHOOK_URL',
  'DISCORD_WEBHOOK_URL',
  'BACKUP_WEBHOOK_URL',
  'BACKUP_WEBHOOK_SECRET',
  'BACKUP_FAILURE_NOTIFICATIONS',
  'BACKUP_HEALTH_NOTIFICATIONS',
  'BACKUP_SUCCESS_NOTIFICATIONS',
  'BACKUP_SCHEDULE_RUN',
  'BACKUP_SCHEDULE_CLEAN',
  'BACKUP_SCHEDULE_MONITOR',
  'BACKUP_SCHEDULE_VERIFY',
  'BACKUP_TIMEZONE',
  'BACKUP_TRIES',
  'BACKUP_RETRY_DELAY',
  'BACKUP_TIMEOUT',
  'BACKUP_RESTORE_LOCK_WAIT_SECONDS',
  'BACKUP_RESTORE_JOBS',
  'BACKUP_TENANT_ENTITY',
  'BACKUP_TENANT_COLUMN',
  'BACKUP_TENANT_FILES',
  'BACKUP_AUDIT',
  'BACKUP_AUDIT_FILE',
  'BACKUP_AUDIT_DATABASE',
  'BACKUP_RPO_HOURS',
  'BACKUP_RTO_HOURS',
] as const;

/** Sessions a PostgreSQL restore loads over (see RestoreSettings.jobs). */
export const DEFAULT_RESTORE_JOBS = 1;

export const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const flag = (value: string | undefined, fallback: boolean): boolean =>
  value === undefined || value === '' ? fallback : /^(true|1|yes)$/i.test(value);

const num = (value: string | undefined, fallback: number): number => (value === undefined || value === '' ? fallback : Number(value));

const optionalNum = (value: string | undefined, fallback: number | null): number | null =>
  value === undefined || value === '' ? fallback : value === 'off' ? null : Number(value);

const cron = (value: string | undefined, fallback: string): string | null => {
  const v = value ?? fallback;
  return v === 'off' ? null : v;
};

/** Routing lists where an empty value means "no channel", as in seed 002's .env. */
const EMPTY_MEANS_NONE = new Set(['BACKUP_FAILURE_NOTIFICATIONS', 'BACKUP_HEALTH_NOTIFICATIONS', 'BACKUP_SUCCESS_NOTIFICATIONS']);

/** Treats empty strings as unset, as .env files write `AWS_ENDPOINT=`. */
function clean(env: Env): Env {
  const out: Env = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && (v.trim() !== '' || EMPTY_MEANS_NONE.has(k))) out[k] = v.trim();
  }
  return out;
}

/**
 * Builds BackupModuleOptions from environment variables, validating every one of them first
 * (the rules of backup.environment.ts) and reporting all problems in one BackupConfigError.
 *
 * @example BackupModule.forRoot(backupOptionsFromEnv(process.env))
 */
export function backupOptionsFromEnv(rawEnv: Env, opts: { cwd?: string } = {}): BackupModuleOptions {
  const env = clean(rawEnv);
  const cwd = opts.cwd ?? process.cwd();
  const disks = list(env.BACKUP_DISKS ?? env.BACKUP_DISK ?? 'local');

  const { problems, badFormat } = environmentProblems(pickEnv(env), disks);
  problems.push(...numericRangeProblems(env, badFormat));
  const known = new Set(['local', 's3']);
  for (const d of disks) {
    if (!known.has(d) && !/^[A-Za-z0-9_-]+$/.test(d)) problems.push(`BACKUP_DISKS names an invalid disk "${d}"`);
  }
  if (disks.length === 0) problems.push('BACKUP_DISKS is empty: name at least one disk, e.g. "local" or "s3"');
  // Notification settings are validated here too, so one error lists every problem; a route to
  // a host's own channel is checked when the module starts, where its channels are known.
  problems.push(...channelsFromEnv(env, { customChannels: hostChannelNamesIn(env) }).errors);
  if (problems.length) throw new BackupConfigError(problems);

  const appRoot = path.resolve(cwd, env.BACKUP_APP_ROOT ?? '.');
  const encryption = (env.BACKUP_ENCRYPTION ?? 'aes256') as 'aes256' | 'none';
  const databases = list(env.BACKUP_DATABASES ?? 'default');
  return {
    appName: env.BACKUP_NAME ?? sanitizeName(env.APP_NAME) ?? 'app',
    appRoot,
    disks,
    local: { root: path.resolve(appRoot, env.BACKUP_LOCAL_ROOT ?? 'storage/backups') },
    s3: disks.includes('s3')
      ? {
          bucket: env.AWS_BUCKET!,
          region: env.AWS_DEFAULT_REGION ?? 'us-east-1',
          endpoint: env.AWS_ENDPOINT,
          forcePathStyle: flag(env.AWS_USE_PATH_STYLE_ENDPOINT, false),
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          checksumMode: (env.AWS_REQUEST_CHECKSUM_CALCULATION ?? 'WHEN_REQUIRED') as 'WHEN_REQUIRED' | 'WHEN_SUPPORTED',
          partSizeMb: env.BACKUP_S3_PART_SIZE_MB ? Number(env.BACKUP_S3_PART_SIZE_MB) : undefined,
          stallSeconds: env.BACKUP_S3_STALL_SECONDS ? Number(env.BACKUP_S3_STALL_SECONDS) : undefined,
          retries: env.BACKUP_S3_RETRIES ? Number(env.BACKUP_S3_RETRIES) : undefined,
          readConcurrency: env.BACKUP_S3_READ_CONCURRENCY ? Number(env.BACKUP_S3_READ_CONCURRENCY) : undefined,
        }
      : undefined,
    archive: {
      encryption,
      password: encryption === 'aes256' ? env.BACKUP_ARCHIVE_PASSWORD : undefined,
      compressionLevel: num(env.BACKUP_COMPRESSION_LEVEL, 6),
      threads:
        env.BACKUP_ARCHIVE_THREADS === undefined || env.BACKUP_ARCHIVE_THREADS === '' || env.BACKUP_ARCHIVE_THREADS === 'auto'
          ? undefined
          : Number(env.BACKUP_ARCHIVE_THREADS),
      filenamePrefix: env.BACKUP_FILENAME_PREFIX ?? '',
    },
    databases: databases.length === 1 && databases[0] === 'none' ? [] : databases,
    files: {
      include: list(env.BACKUP_INCLUDE),
      exclude: list(env.BACKUP_EXCLUDE ?? 'node_modules,.git'),
      followSymlinks: flag(env.BACKUP_FOLLOW_SYMLINKS, false),
    },
    retention: {
      keepAllDays: num(env.BACKUP_KEEP_ALL_DAYS, 7),
      keepDailyDays: num(env.BACKUP_KEEP_DAILY_DAYS, 30),
      keepWeeklyWeeks: num(env.BACKUP_KEEP_WEEKLY_WEEKS, 12),
      keepMonthlyMonths: num(env.BACKUP_KEEP_MONTHLY_MONTHS, 12),
      keepYearlyYears: num(env.BACKUP_KEEP_YEARLY_YEARS, 7),
      deleteOldestWhenUsingMoreMb: optionalNum(env.BACKUP_DELETE_OLDEST_WHEN_USING_MORE_MB, num(env.BACKUP_MAX_STORAGE_MB, 10240)),
      maxCount: optionalNum(env.BACKUP_MAX_COUNT, null),
    },
    monitor: {
      disks: list(env.BACKUP_MONITOR_DISKS).length ? list(env.BACKUP_MONITOR_DISKS) : disks,
      maxAgeDays: num(env.BACKUP_MAX_AGE_DAYS, 1),
      maxStorageMb: num(env.BACKUP_MAX_STORAGE_MB, 10240),
    },
    notificationEnv: pickEnv(env),
    cliCommand: env.BACKUP_CLI_COMMAND ?? 'npm run cli --',
    schedules: {
      run: cron(env.BACKUP_SCHEDULE_RUN, '0 2 * * *'),
      clean: cron(env.BACKUP_SCHEDULE_CLEAN, '30 2 * * *'),
      monitor: cron(env.BACKUP_SCHEDULE_MONITOR, '0 3 * * *'),
      verify: cron(env.BACKUP_SCHEDULE_VERIFY, 'off'),
      timeZone: env.BACKUP_TIMEZONE ?? 'UTC',
    },
    attempts: {
      tries: num(env.BACKUP_TRIES, 1),
      retryDelayMs: num(env.BACKUP_RETRY_DELAY, 60) * 1000,
      timeoutMs: env.BACKUP_TIMEOUT && env.BACKUP_TIMEOUT !== 'off' ? Number(env.BACKUP_TIMEOUT) * 1000 : null,
    },
    restore: {
      lockWaitSeconds: num(env.BACKUP_RESTORE_LOCK_WAIT_SECONDS, 30),
      jobs: num(env.BACKUP_RESTORE_JOBS, DEFAULT_RESTORE_JOBS),
    },
    tenant: {
      entity: env.BACKUP_TENANT_ENTITY,
      column: env.BACKUP_TENANT_COLUMN,
      files: list(env.BACKUP_TENANT_FILES),
    },
    audit: {
      mode: (env.BACKUP_AUDIT ?? 'auto') as 'auto' | 'db' | 'file' | 'off',
      file: env.BACKUP_AUDIT_FILE ? path.resolve(appRoot, env.BACKUP_AUDIT_FILE) : undefined,
      dataSource: env.BACKUP_AUDIT_DATABASE,
      rpoHours: num(env.BACKUP_RPO_HOURS, 24),
      rtoHours: num(env.BACKUP_RTO_HOURS, 4),
    },
  };
}

function pickEnv(env: Env): Env {
  const out: Env = {};
  for (const k of BACKUP_ENV_KEYS) if (env[k] !== undefined) out[k] = env[k];
  return out;
}

function sanitizeName(name: string | undefined): string | undefined {
  const s = name?.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
  // "." and ".." would name the folder above the backups, not one of their own.
  return s && !/^\.+$/.test(s) ? s : undefined;
}
