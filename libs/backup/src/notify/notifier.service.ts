import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Redactor } from '../common/redact';
import { BackupEventName, BackupEventPayloads, BackupEvents } from '../events/backup.events';
import { buildMessage } from './message.builder';
import { NotificationChannel, NotificationMessage } from './notification-channel.interface';
import { NOTIFIER_OPTIONS, NOTIFY_DEFAULTS } from './notify.constants';

/** Which routing list an event follows. */
export type EventClass = 'failure' | 'health' | 'success';

/** Channel names per event class (BACKUP_FAILURE/HEALTH/SUCCESS_NOTIFICATIONS). */
export interface NotificationRoutes {
  failure: string[];
  health: string[];
  success: string[];
}

export interface NotifierOptions {
  /** Used in messages when an event carries no appName. */
  appName?: string;
  /** The constructed channels; routes refer to them by `name`. */
  channels: NotificationChannel[];
  /** Default: failure → mail, health → mail, success → none. */
  routes?: Partial<NotificationRoutes>;
  /** Retries after the first failed attempt (so retries + 1 attempts at most). Default 3. */
  retries?: number;
  /** Delay before the first retry, doubled for each further one. Default 1000. */
  retryDelayMs?: number;
  /** Limit for one attempt of one channel. Default 10000. */
  timeoutMs?: number;
  /** Every configured secret; redacted from messages, reports and log lines. */
  secrets?: Array<string | undefined | null>;
  /** false (the CLI's --disable-notifications) silences every channel; events still fire. */
  enabled?: boolean;
  /** How people run the CLI, for the "look closer" line. Default "npm run cli --". */
  cliCommand?: string;
}

export interface ChannelReport {
  channel: string;
  delivered: boolean;
  attempts: number;
  /** The last error, redacted; set when not delivered. */
  error?: string;
}

export interface NotifyReport {
  event: string;
  eventClass?: EventClass;
  /** Why nothing was sent: notifications disabled, or no channel routed for this event. */
  skipped?: 'disabled' | 'no-route';
  channels: ChannelReport[];
}

/**
 * The event classes. Failures and unhealthy backups are alarms; a healthy check is good news
 * and follows the success route (empty by default), so a daily "all fine" does not bury the
 * alarms in the same inbox. Add a channel to BACKUP_SUCCESS_NOTIFICATIONS to get it.
 */
const EVENT_CLASSES: Record<BackupEventName, EventClass> = {
  [BackupEvents.BackupFailed]: 'failure',
  [BackupEvents.CleanupFailed]: 'failure',
  [BackupEvents.UnhealthyBackupFound]: 'health',
  [BackupEvents.HealthyBackupFound]: 'success',
  [BackupEvents.BackupSucceeded]: 'success',
  [BackupEvents.CleanupSucceeded]: 'success',
};

export function eventClassOf(event: string): EventClass | undefined {
  return (EVENT_CLASSES as Record<string, EventClass | undefined>)[event];
}

/**
 * Sends each backup event to the channels routed for its class, in parallel, retrying each
 * channel a bounded number of times with exponential backoff. It never throws: a channel that
 * fails is logged and reported in the result and never changes the caller's outcome or holds
 * up the other channels. Every text is redacted before it leaves.
 *
 * @example
 *   const report = await notifier.notify('backup.failed', { appName, destination: 's3', at, error });
 *   report.channels // [{ channel: 'mail', delivered: true, attempts: 1 }]
 */
@Injectable()
export class Notifier {
  private readonly logger = new Logger(Notifier.name);
  private readonly redactor: Redactor;
  private readonly routes: NotificationRoutes;
  private readonly channels: Map<string, NotificationChannel>;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly timeoutMs: number;

  constructor(@Inject(NOTIFIER_OPTIONS) private readonly options: NotifierOptions) {
    this.redactor = new Redactor(options.secrets ?? []);
    this.routes = {
      failure: options.routes?.failure ?? [...NOTIFY_DEFAULTS.routes.failure],
      health: options.routes?.health ?? [...NOTIFY_DEFAULTS.routes.health],
      success: options.routes?.success ?? [...NOTIFY_DEFAULTS.routes.success],
    };
    this.channels = new Map(options.channels.map((c) => [c.name, c]));
    this.retries = Math.max(0, Math.floor(options.retries ?? NOTIFY_DEFAULTS.retries));
    this.retryDelayMs = Math.max(0, options.retryDelayMs ?? NOTIFY_DEFAULTS.retryDelayMs);
    this.timeoutMs = Math.max(1, options.timeoutMs ?? NOTIFY_DEFAULTS.timeoutMs);
  }

  get enabled(): boolean {
    return this.options.enabled !== false;
  }

  /** The channel names an event goes to (deduplicated, in routing order). */
  channelsFor(event: string): string[] {
    const eventClass = eventClassOf(event);
    return eventClass ? [...new Set(this.routes[eventClass])] : [];
  }

  async notify<E extends BackupEventName>(event: E, payload: BackupEventPayloads[E]): Promise<NotifyReport> {
    const eventClass = eventClassOf(event);
    if (!this.enabled) return { event, eventClass, skipped: 'disabled', channels: [] };
    const names = this.channelsFor(event);
    if (names.length === 0) return { event, eventClass, skipped: 'no-route', channels: [] };

    let message: NotificationMessage;
    try {
      message = this.redactMessage(buildMessage(event, payload, { appName: this.options.appName, cliCommand: this.options.cliCommand }));
    } catch (err) {
      // A malformed payload must not throw into the code that emitted the event.
      const error = this.redactor.redact(`could not build the ${event} message: ${err?.message ?? err}`);
      this.logger.error(error);
      return { event, eventClass, channels: names.map((channel) => ({ channel, delivered: false, attempts: 0, error })) };
    }
    const channels = await Promise.all(names.map((name) => this.deliver(name, message)));
    return { event, eventClass, channels };
  }

  private async deliver(name: string, message: NotificationMessage): Promise<ChannelReport> {
    const channel = this.channels.get(name);
    if (!channel) {
      const error = `channel '${name}' is routed for ${message.event} but not configured`;
      this.logger.error(`Notification ${message.event} not sent: ${error}`);
      return { channel: name, delivered: false, attempts: 0, error };
    }
    const maxAttempts = this.retries + 1;
    let lastError = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      try {
        await this.attempt(channel, message);
        if (attempt > 1) this.logger.log(`Notification ${message.event} delivered to ${name} on attempt ${attempt}`);
        return { channel: name, delivered: true, attempts: attempt };
      } catch (err) {
        lastError = this.redactor.redact(String(err?.message ?? err));
        const retryable = err?.retryable !== false;
        const last = attempt === maxAttempts || !retryable;
        if (last) {
          const why = retryable ? `after ${attempt} attempt(s)` : 'not retried: retrying cannot help';
          this.logger.error(`Notification ${message.event} to ${name} failed ${why}: ${lastError}`);
          return { channel: name, delivered: false, attempts: attempt, error: lastError };
        }
        const delay = this.retryDelayMs * 2 ** (attempt - 1);
        this.logger.warn(
          `Notification ${message.event} to ${name} failed (attempt ${attempt}/${maxAttempts}), retrying in ${delay} ms: ${lastError}`,
        );
        await sleep(delay);
      }
    }
    return { channel: name, delivered: false, attempts: maxAttempts, error: lastError };
  }

  /** One attempt, bounded even when a custom channel ignores the abort signal. */
  private async attempt(channel: NotificationChannel, message: NotificationMessage): Promise<void> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = Object.assign(new Error(`${channel.name}: no answer within ${this.timeoutMs} ms, gave up on this attempt`), {
          name: 'TimeoutError',
        });
        controller.abort(err);
        reject(err);
      }, this.timeoutMs);
    });
    try {
      await Promise.race([channel.send(message, { signal: controller.signal }), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private redactMessage(message: NotificationMessage): NotificationMessage {
    const r = (s: string) => this.redactor.redact(s);
    return {
      ...message,
      subject: r(message.subject),
      text: r(message.text),
      fields: message.fields.map((f) => ({ name: r(f.name), value: r(f.value) })),
      payload: redactDeep(message.payload, r) as Record<string, unknown>,
    };
  }
}

function redactDeep(value: unknown, r: (s: string) => string): unknown {
  if (typeof value === 'string') return r(value);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, r));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, r)]));
  }
  return value;
}
