/** How bad the news is; channels use it for colours and emoji. */
export type NotificationLevel = 'error' | 'warning' | 'success';

/** One labelled fact of a message (shown as a table row, a Slack field, a Discord embed field). */
export interface NotificationField {
  name: string;
  value: string;
}

/**
 * What a channel delivers. Built from an event by buildMessage() and redacted by the Notifier
 * before any channel sees it, so a channel may print every part of it.
 */
export interface NotificationMessage {
  /** The event name, e.g. "backup.failed". */
  event: string;
  level: NotificationLevel;
  /** One line: mail subject, chat headline. */
  subject: string;
  /** Plain text, several lines: what happened, what it means, which command to run. */
  text: string;
  fields: NotificationField[];
  /** The event payload as emitted (redacted), for machine receivers such as the webhook. */
  payload: Record<string, unknown>;
}

/** Per-send settings the Notifier hands to a channel. */
export interface SendOptions {
  /** Aborts the attempt when the Notifier's timeout passes. */
  signal: AbortSignal;
}

/**
 * Extension point: a place notifications go. The shipped channels are MailChannel,
 * SlackChannel, DiscordChannel and WebhookChannel; a host registers its own by passing an
 * object with a unique `name` (the name used in the BACKUP_*_NOTIFICATIONS routing lists).
 *
 * `send` rejects when the message was not delivered (a ChannelDeliveryError says whether a
 * retry can help); the Notifier retries, logs and reports, so a channel never retries itself.
 */
export interface NotificationChannel {
  readonly name: 'mail' | 'slack' | 'discord' | 'webhook' | string;
  send(message: NotificationMessage, options?: SendOptions): Promise<void>;
}
