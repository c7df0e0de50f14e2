import { cronProblem, isTimeZone } from './schedule.validators';
import type { Env } from './env.types';

/**
 * The format of every environment variable the library reads (the ranges of the numeric ones
 * are in numeric.ranges.ts), one rule per variable in the order problems are reported. Values
 * stay strings here; `backupOptionsFromEnv` converts them once they are known to be valid. Each
 * message names the variable and what is expected, and never echoes a secret's value.
 *
 * A table rather than class-validator decorators: loading class-validator (with validator.js and
 * libphonenumber-js, ~320 files) for these few checks was a sixth of every CLI command's start-up.
 */
export interface FormatRule {
  variable: string;
  check: (value: string) => boolean;
  message: string | ((value: string | undefined) => string);
  /**
   * Without it the variable is optional: checked only when set. With it the variable is checked
   * only when this holds, and must then be set.
   */
  requiredWhen?: (context: { env: Env; disks: readonly string[] }) => boolean;
}

const INT = /^\d+$/;
const BOOL = /^(true|false|1|0|yes|no)$/i;

const matches = (pattern: RegExp) => (value: string) => pattern.test(value);
const oneOf = (allowed: readonly string[]) => (value: string) => allowed.includes(value);
/** Characters as validator.js's isLength counts them (a surrogate pair or an emoji presentation sequence is one). */
const minLength = (min: number) => (value: string) =>
  value.length -
    (value.match(/[^\uFE0F\uFE0E][\uFE0F\uFE0E]/g) ?? []).length -
    (value.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g) ?? []).length >=
  min;

/** A cron expression ("0 2 * * *", or six fields with seconds) or "off". */
const cronOrOff = (variable: string): FormatRule => ({
  variable,
  check: (value) => value === 'off' || !cronProblem(value),
  message: (value) =>
    `${variable} must be a cron expression such as "0 2 * * *" (minute hour day month weekday) or "off"` +
    ` (got "${String(value)}": ${cronProblem(String(value)) ?? 'invalid'})`,
});

/** An IANA time zone name the platform knows ("UTC", "Europe/Berlin"). */
const timeZone = (variable: string): FormatRule => ({
  variable,
  check: isTimeZone,
  message: (value) => `${variable} must be an IANA time zone such as "UTC" or "Europe/Berlin" (got "${String(value)}")`,
});

export const ENVIRONMENT_RULES: readonly FormatRule[] = [
  {
    variable: 'BACKUP_NAME',
    check: matches(/^(?!\.{1,2}$)[A-Za-z0-9._-]+$/),
    message: 'BACKUP_NAME must use only letters, digits, ".", "_" and "-", and not be "." or ".." (it becomes a folder name)',
  },
  {
    variable: 'BACKUP_DISKS',
    check: matches(/^\s*[A-Za-z0-9_-]+(\s*,\s*[A-Za-z0-9_-]+)*\s*$/),
    message: 'BACKUP_DISKS must be a comma list of disk names such as "local,s3"',
  },
  { variable: 'BACKUP_ENCRYPTION', check: oneOf(['aes256', 'none']), message: 'BACKUP_ENCRYPTION must be "aes256" or "none"' },
  {
    variable: 'BACKUP_ARCHIVE_PASSWORD',
    requiredWhen: ({ env }) => (env.BACKUP_ENCRYPTION ?? 'aes256') === 'aes256',
    check: minLength(32),
    message: (value) =>
      value === undefined || value === ''
        ? 'BACKUP_ARCHIVE_PASSWORD is not set: backups are encrypted by default. Set a password of at least 32 characters, or set BACKUP_ENCRYPTION=none explicitly to store unencrypted archives'
        : `BACKUP_ARCHIVE_PASSWORD is too short (${value.length} characters): use at least 32 characters`,
  },
  {
    variable: 'BACKUP_COMPRESSION_LEVEL',
    check: matches(INT),
    message: 'BACKUP_COMPRESSION_LEVEL must be a whole number from 0 (stored) to 9',
  },
  {
    variable: 'BACKUP_ARCHIVE_THREADS',
    check: matches(/^(auto|[0-9]|1[0-6])$/),
    message: 'BACKUP_ARCHIVE_THREADS must be auto or a whole number from 0 (none: the main thread encodes) to 16',
  },
  {
    variable: 'BACKUP_FILENAME_PREFIX',
    check: matches(/^[A-Za-z0-9._-]*$/),
    message: 'BACKUP_FILENAME_PREFIX may use only letters, digits, ".", "_" and "-"',
  },
  { variable: 'BACKUP_FOLLOW_SYMLINKS', check: matches(BOOL), message: 'BACKUP_FOLLOW_SYMLINKS must be true or false' },
  // --- S3 (checked only when an "s3" disk is selected) ---
  {
    variable: 'AWS_BUCKET',
    requiredWhen: ({ disks }) => disks.includes('s3'),
    check: minLength(3),
    message: 'AWS_BUCKET must be set (3 characters or more) when BACKUP_DISKS includes s3',
  },
  {
    variable: 'AWS_ENDPOINT',
    check: matches(/^https?:\/\/[^\s/]+(\/.*)?$/),
    message: 'AWS_ENDPOINT must be an http(s) URL such as https://nyc3.digitaloceanspaces.com (leave it empty for AWS)',
  },
  { variable: 'AWS_USE_PATH_STYLE_ENDPOINT', check: matches(BOOL), message: 'AWS_USE_PATH_STYLE_ENDPOINT must be true or false' },
  {
    variable: 'AWS_REQUEST_CHECKSUM_CALCULATION',
    check: oneOf(['WHEN_REQUIRED', 'WHEN_SUPPORTED']),
    message: 'AWS_REQUEST_CHECKSUM_CALCULATION must be WHEN_REQUIRED or WHEN_SUPPORTED',
  },
  { variable: 'BACKUP_S3_PART_SIZE_MB', check: matches(INT), message: 'BACKUP_S3_PART_SIZE_MB must be a whole number of MB' },
  {
    variable: 'BACKUP_S3_STALL_SECONDS',
    check: matches(/^([1-9]|[1-9]\d|[1-5]\d\d|600)$/),
    message: 'BACKUP_S3_STALL_SECONDS must be a whole number of seconds from 1 to 600',
  },
  { variable: 'BACKUP_S3_RETRIES', check: matches(/^([0-9]|10)$/), message: 'BACKUP_S3_RETRIES must be a whole number from 0 to 10' },
  {
    variable: 'BACKUP_S3_READ_CONCURRENCY',
    check: matches(/^([1-9]|1[0-6])$/),
    message: 'BACKUP_S3_READ_CONCURRENCY must be a whole number from 1 to 16',
  },
  // --- retention ---
  { variable: 'BACKUP_KEEP_ALL_DAYS', check: matches(INT), message: 'BACKUP_KEEP_ALL_DAYS must be a whole number of days' },
  { variable: 'BACKUP_KEEP_DAILY_DAYS', check: matches(INT), message: 'BACKUP_KEEP_DAILY_DAYS must be a whole number of days' },
  { variable: 'BACKUP_KEEP_WEEKLY_WEEKS', check: matches(INT), message: 'BACKUP_KEEP_WEEKLY_WEEKS must be a whole number of weeks' },
  { variable: 'BACKUP_KEEP_MONTHLY_MONTHS', check: matches(INT), message: 'BACKUP_KEEP_MONTHLY_MONTHS must be a whole number of months' },
  { variable: 'BACKUP_KEEP_YEARLY_YEARS', check: matches(INT), message: 'BACKUP_KEEP_YEARLY_YEARS must be a whole number of years' },
  {
    variable: 'BACKUP_DELETE_OLDEST_WHEN_USING_MORE_MB',
    check: matches(/^(\d+|off)$/),
    message: 'BACKUP_DELETE_OLDEST_WHEN_USING_MORE_MB must be a whole number of MB or "off"',
  },
  {
    variable: 'BACKUP_MAX_COUNT',
    check: matches(/^([1-9]\d*|off)$/),
    message: 'BACKUP_MAX_COUNT must be a positive whole number or "off"',
  },
  // --- monitoring ---
  {
    variable: 'BACKUP_MAX_AGE_DAYS',
    check: matches(/^\d+(\.\d+)?$/),
    message: 'BACKUP_MAX_AGE_DAYS must be a number of days, e.g. 1 or 1.5',
  },
  { variable: 'BACKUP_MAX_STORAGE_MB', check: matches(INT), message: 'BACKUP_MAX_STORAGE_MB must be a whole number of MB' },
  // --- schedules, retries, time limits ---
  cronOrOff('BACKUP_SCHEDULE_RUN'),
  cronOrOff('BACKUP_SCHEDULE_CLEAN'),
  cronOrOff('BACKUP_SCHEDULE_MONITOR'),
  cronOrOff('BACKUP_SCHEDULE_VERIFY'),
  timeZone('BACKUP_TIMEZONE'),
  { variable: 'BACKUP_TRIES', check: matches(INT), message: 'BACKUP_TRIES must be a whole number of attempts from 1 to 99' },
  { variable: 'BACKUP_RETRY_DELAY', check: matches(INT), message: 'BACKUP_RETRY_DELAY must be a whole number of seconds' },
  {
    variable: 'BACKUP_TIMEOUT',
    check: matches(/^([1-9]\d*|off)$/),
    message: 'BACKUP_TIMEOUT must be a positive whole number of seconds or "off"',
  },
  {
    variable: 'BACKUP_RESTORE_LOCK_WAIT_SECONDS',
    check: matches(/^([1-9]\d{0,3}|[1-7]\d{4}|8[0-5]\d{3}|86[0-3]\d{2}|86400)$/),
    message:
      "BACKUP_RESTORE_LOCK_WAIT_SECONDS must be a whole number of seconds from 1 to 86400 (how long a restore's swap waits for locks)",
  },
  {
    variable: 'BACKUP_RESTORE_JOBS',
    check: matches(/^([1-9]|1[0-6])$/),
    message: 'BACKUP_RESTORE_JOBS must be a whole number from 1 to 16 (database client sessions loading a restore at once)',
  },
  {
    variable: 'BACKUP_TENANT_ENTITY',
    check: matches(/^[A-Za-z_][A-Za-z0-9_]*$/),
    message: 'BACKUP_TENANT_ENTITY must be an entity or table name (letters, digits, "_")',
  },
  {
    variable: 'BACKUP_TENANT_COLUMN',
    check: matches(/^[A-Za-z_][A-Za-z0-9_]*$/),
    message: 'BACKUP_TENANT_COLUMN must be a column name (letters, digits, "_"), e.g. tenant_id',
  },
  {
    variable: 'BACKUP_TENANT_FILES',
    check: matches(/^([^,]*\{tenant\}[^,]*)(,[^,]*\{tenant\}[^,]*)*$/),
    message: 'BACKUP_TENANT_FILES must be a comma list of paths that each contain {tenant}, e.g. storage/app/tenants/{tenant}/**',
  },
  // --- audit trail and compliance report ---
  {
    variable: 'BACKUP_AUDIT',
    check: oneOf(['auto', 'db', 'file', 'off']),
    message: 'BACKUP_AUDIT must be auto, db, file or off (where audit records are kept)',
  },
  {
    variable: 'BACKUP_AUDIT_FILE',
    check: matches(/^[^\0]+$/),
    message: 'BACKUP_AUDIT_FILE must be a file path, e.g. storage/audit/backup.jsonl',
  },
  {
    variable: 'BACKUP_AUDIT_DATABASE',
    check: matches(/^[A-Za-z0-9_-]+$/),
    message: 'BACKUP_AUDIT_DATABASE must be a TypeORM DataSource name (letters, digits, "_", "-"), e.g. default',
  },
  {
    variable: 'BACKUP_RPO_HOURS',
    check: matches(/^(?=.*[1-9])\d+(\.\d+)?$/),
    message: 'BACKUP_RPO_HOURS must be a positive number of hours, e.g. 24 or 0.5',
  },
  {
    variable: 'BACKUP_RTO_HOURS',
    check: matches(/^(?=.*[1-9])\d+(\.\d+)?$/),
    message: 'BACKUP_RTO_HOURS must be a positive number of hours, e.g. 4 or 0.5',
  },
];

/**
 * The problems of the variables in `env` (already trimmed, empty values removed), one message
 * per variable that breaks its rule, and the names of those variables (their ranges are then
 * not checked again).
 */
export function environmentProblems(env: Env, disks: readonly string[]): { problems: string[]; badFormat: Set<string> } {
  const problems: string[] = [];
  const badFormat = new Set<string>();
  for (const rule of ENVIRONMENT_RULES) {
    const value = env[rule.variable];
    if (rule.requiredWhen ? !rule.requiredWhen({ env, disks }) : value === undefined) continue;
    if (value !== undefined && rule.check(value)) continue;
    problems.push(typeof rule.message === 'string' ? rule.message : rule.message(value));
    badFormat.add(rule.variable);
  }
  return { problems, badFormat };
}
