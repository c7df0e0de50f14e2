/** Injection token for the Notifier's options (a NotifierOptions object). */
export const NOTIFIER_OPTIONS = Symbol('NOTIFIER_OPTIONS');

/** The channel names the routing lists (BACKUP_*_NOTIFICATIONS) understand out of the box. */
export const SHIPPED_CHANNELS = ['mail', 'slack', 'discord', 'webhook'] as const;
export type ShippedChannelName = (typeof SHIPPED_CHANNELS)[number];

/** Defaults shared by the Notifier and channelsFromEnv. */
export const NOTIFY_DEFAULTS = {
  retries: 3,
  retryDelayMs: 1000,
  timeoutMs: 10_000,
  cliCommand: 'npm run cli --',
  routes: { failure: ['mail'], health: ['mail'], success: [] as string[] },
} as const;
