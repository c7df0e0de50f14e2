import {
  BackupEventName,
  BackupEventPayloads,
  BackupEvents,
  BackupFailedEvent,
  BackupSucceededEvent,
  CleanupFailedEvent,
  CleanupSucceededEvent,
  HealthyBackupFoundEvent,
  UnhealthyBackupFoundEvent,
} from '../events/backup.events';
import { NotificationField, NotificationMessage } from './notification-channel.interface';
import { NOTIFY_DEFAULTS } from './notify.constants';
import { formatBytes } from '../listing/size.format';

export interface MessageOptions {
  /** Used when the payload carries no appName. */
  appName?: string;
  /** How people run this app's CLI, e.g. "npm run cli --" or "npx my-app"; default "npm run cli --". */
  cliCommand?: string;
}

/**
 * Turns an event into what a person needs to act on it: which app, which destination, what
 * failed, since when, and the command to look closer. Pure: no I/O, no redaction (the
 * Notifier redacts the result before any channel sees it).
 *
 * @example buildMessage('backup.failed', event, { cliCommand: 'npm run cli --' }).subject
 *   // "Backup of shop failed on s3"
 */
export function buildMessage<E extends BackupEventName>(
  event: E,
  payload: BackupEventPayloads[E],
  options: MessageOptions = {},
): NotificationMessage {
  const ctx = new Context(payload, options);
  const built = describe(event, payload, ctx);
  return { event, payload: { ...payload } as Record<string, unknown>, ...built };
}

type Described = Pick<NotificationMessage, 'level' | 'subject' | 'text' | 'fields'>;

function describe(event: BackupEventName, payload: unknown, ctx: Context): Described {
  switch (event) {
    case BackupEvents.BackupFailed:
      return backupFailed(payload as BackupFailedEvent, ctx);
    case BackupEvents.CleanupFailed:
      return cleanupFailed(payload as CleanupFailedEvent, ctx);
    case BackupEvents.UnhealthyBackupFound:
      return unhealthy(payload as UnhealthyBackupFoundEvent, ctx);
    case BackupEvents.HealthyBackupFound:
      return healthy(payload as HealthyBackupFoundEvent, ctx);
    case BackupEvents.BackupSucceeded:
      return backupSucceeded(payload as BackupSucceededEvent, ctx);
    case BackupEvents.CleanupSucceeded:
      return cleanupSucceeded(payload as CleanupSucceededEvent, ctx);
    default:
      return unknownEvent(event, ctx);
  }
}

function backupFailed(e: BackupFailedEvent, ctx: Context): Described {
  const where = e.destination ? ` on ${e.destination}` : '';
  return {
    level: 'error',
    subject: `Backup of ${ctx.app} failed${where}`,
    text: lines(
      `The backup of ${ctx.app}${e.destination ? ` to ${e.destination}` : ''} failed at ${e.at}.`,
      `Error: ${e.error}`,
      e.destination
        ? `No new backup was stored on ${e.destination}; a restore would use the newest earlier backup.`
        : 'The run stopped before any destination was written; no new backup was stored.',
      `Look closer: run \`${ctx.cli('backup:list')}\` to see the backups that exist, then \`${ctx.cli('backup:run')}\` once the cause is fixed.`,
    ),
    fields: ctx.fields(
      ['Destination', e.destination ?? '(none reached)'],
      ['Backup', e.backupName],
      ['Failed at', e.at],
      ['Error', e.error],
    ),
  };
}

function cleanupFailed(e: CleanupFailedEvent, ctx: Context): Described {
  const where = e.destination ? ` on ${e.destination}` : '';
  return {
    level: 'warning',
    subject: `Cleanup of old backups of ${ctx.app} failed${where}`,
    text: lines(
      `Cleaning up old backups of ${ctx.app}${where} failed at ${e.at}.`,
      `Error: ${e.error}`,
      'Old backups were not removed, so the storage used keeps growing until the cause is fixed.',
      `Look closer: run \`${ctx.cli('backup:list')}\` to see what is stored, then \`${ctx.cli('backup:clean')}\` to try again.`,
    ),
    fields: ctx.fields(['Destination', e.destination], ['Failed at', e.at], ['Error', e.error]),
  };
}

function unhealthy(e: UnhealthyBackupFoundEvent, ctx: Context): Described {
  return {
    level: 'error',
    subject: `Unhealthy backups of ${ctx.app} on ${e.destination}`,
    text: lines(
      `The backups of ${ctx.app} on ${e.destination} are unhealthy (checked at ${e.at}).`,
      'Failed checks:',
      ...e.failures.map((f) => `  - ${f.check}: ${f.message}`),
      newest(e, ctx),
      `Look closer: run \`${ctx.cli('backup:monitor')}\` for every check and \`${ctx.cli('backup:list')}\` for the backups on ${e.destination}.`,
    ),
    fields: ctx.fields(
      ['Destination', e.destination],
      ['Newest backup', e.newestBackup ?? 'none'],
      ['Newest backup at', e.newestBackupAt ? `${e.newestBackupAt} (${age(e.newestBackupAt, e.at)})` : undefined],
      ['Failed checks', e.failures.map((f) => `${f.check}: ${f.message}`).join('; ')],
      ['Checked at', e.at],
    ),
  };
}

function healthy(e: HealthyBackupFoundEvent, ctx: Context): Described {
  return {
    level: 'success',
    subject: `Healthy backups of ${ctx.app} on ${e.destination}`,
    text: lines(
      `The backups of ${ctx.app} on ${e.destination} are healthy (checked at ${e.at}).`,
      newest(e, ctx),
      `Run \`${ctx.cli('backup:list')}\` to see every backup.`,
    ),
    fields: ctx.fields(
      ['Destination', e.destination],
      ['Newest backup', e.newestBackup],
      ['Newest backup at', e.newestBackupAt ? `${e.newestBackupAt} (${age(e.newestBackupAt, e.at)})` : undefined],
      ['Checked at', e.at],
    ),
  };
}

function backupSucceeded(e: BackupSucceededEvent, ctx: Context): Described {
  return {
    level: 'success',
    subject: `Backup of ${ctx.app} to ${e.destination} succeeded`,
    text: lines(
      `A new backup of ${ctx.app} was stored on ${e.destination} at ${e.at}.`,
      `Backup: ${e.backupName} (${formatBytes(e.sizeBytes)}, took ${formatDuration(e.durationMs)})`,
      `Run \`${ctx.cli('backup:list')}\` to see every backup.`,
    ),
    fields: ctx.fields(
      ['Destination', e.destination],
      ['Backup', e.backupName],
      ['Size', formatBytes(e.sizeBytes)],
      ['Duration', formatDuration(e.durationMs)],
    ),
  };
}

function cleanupSucceeded(e: CleanupSucceededEvent, ctx: Context): Described {
  const shown = e.deleted.slice(0, 20);
  const more = e.deleted.length - shown.length;
  return {
    level: 'success',
    subject: `Cleanup of old backups of ${ctx.app} on ${e.destination} succeeded`,
    text: lines(
      `Deleted ${e.deleted.length} old backup(s) of ${ctx.app} on ${e.destination} at ${e.at}; storage used now: ${formatBytes(e.usedBytesAfter)}.`,
      ...shown.map((k) => `  - ${k}`),
      more > 0 ? `  ... and ${more} more` : undefined,
      `Run \`${ctx.cli('backup:list')}\` to see the backups that remain.`,
    ),
    fields: ctx.fields(
      ['Destination', e.destination],
      ['Deleted', String(e.deleted.length)],
      ['Storage used', formatBytes(e.usedBytesAfter)],
    ),
  };
}

function unknownEvent(event: string, ctx: Context): Described {
  return {
    level: 'warning',
    subject: `${ctx.app}: ${event}`,
    text: lines(`Event ${event} for ${ctx.app}.`, `Run \`${ctx.cli('backup:monitor')}\` for details.`),
    fields: ctx.fields(),
  };
}

/** "Newest backup: x, made at t (3 days before this check)." — the "since when" of a health event. */
function newest(e: { destination: string; newestBackup?: string; newestBackupAt?: string; at: string }, ctx: Context) {
  if (!e.newestBackup && !e.newestBackupAt) return `No backup of ${ctx.app} was found on ${e.destination}.`;
  const when = e.newestBackupAt ? `, made at ${e.newestBackupAt} (${age(e.newestBackupAt, e.at)} before this check)` : '';
  return `Newest backup: ${e.newestBackup ?? '(unnamed)'}${when}.`;
}

class Context {
  readonly app: string;
  private readonly cliPrefix: string;

  constructor(payload: { appName?: string }, options: MessageOptions) {
    this.app = payload.appName || options.appName || 'the application';
    this.cliPrefix = (options.cliCommand ?? NOTIFY_DEFAULTS.cliCommand).trim();
  }

  cli(command: string): string {
    return `${this.cliPrefix} ${command}`;
  }

  /** Application first, then the given rows; rows without a value are left out. */
  fields(...rows: Array<[string, string | undefined]>): NotificationField[] {
    return [['Application', this.app] as [string, string | undefined], ...rows]
      .filter((r): r is [string, string] => r[1] !== undefined && r[1] !== '')
      .map(([name, value]) => ({ name, value }));
  }
}

function lines(...parts: Array<string | undefined>): string {
  return parts.filter((p): p is string => p !== undefined).join('\n');
}

/** Human age between two ISO times, e.g. "3 days 4 hours". */
export function age(fromIso: string, toIso: string): string {
  const ms = Date.parse(toIso) - Date.parse(fromIso);
  if (!Number.isFinite(ms)) return 'age unknown';
  if (ms < 0) return 'in the future';
  const minutes = Math.floor(ms / 60_000);
  const hours = Math.floor(minutes / 60);
  const days = Math.floor(hours / 24);
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (days > 0) return hours % 24 ? `${unit(days, 'day')} ${unit(hours % 24, 'hour')}` : unit(days, 'day');
  if (hours > 0) return minutes % 60 ? `${unit(hours, 'hour')} ${unit(minutes % 60, 'minute')}` : unit(hours, 'hour');
  return unit(minutes, 'minute');
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`;
}
