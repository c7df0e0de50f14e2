import { DiscordChannel } from './channels/discord.channel';
import { MailChannel } from './channels/mail.channel';
import { SlackChannel } from './channels/slack.channel';
import { WebhookChannel } from './channels/webhook.channel';
import { NotificationChannel } from './notification-channel.interface';
import { NOTIFY_DEFAULTS, SHIPPED_CHANNELS, ShippedChannelName } from './notify.constants';
import { NotifyConfigError } from './notify.errors';
import { EventClass, NotificationRoutes, NotifierOptions } from './notifier.service';

import type { Env } from '../config/env.types';
export type { Env };

export interface NotifyEnvConfig {
  /** The channels whose settings are complete. */
  channels: NotificationChannel[];
  routes: NotificationRoutes;
  /** Every secret value read (SMTP password, webhook secret, webhook URLs): hand to the Notifier. */
  secrets: string[];
  /** Problems that make the settings unusable, one line each, naming the variable and the fix. */
  errors: string[];
  /** Worth a log line at startup but not fatal (a default route whose channel is not set up). */
  warnings: string[];
}

export interface ChannelsFromEnvOptions {
  /** Names of channels the host adds itself, accepted in the routing lists. */
  customChannels?: string[];
}

/**
 * Names in the routing lists that are not shipped channels but could be a host's own
 * (`notificationChannels` module option). The environment is read before the host's channels
 * exist, so these are accepted there and checked against the real channels when the module
 * starts (as custom disk names are).
 */
export function hostChannelNamesIn(env: Env): string[] {
  const names = (Object.values(ROUTE_VARS) as string[]).flatMap((v) =>
    env[v] === undefined ? [] : splitList(env[v] as string).map((n) => n.toLowerCase()),
  );
  return [...new Set(names.filter((n) => !(SHIPPED_CHANNELS as readonly string[]).includes(n) && /^[a-z0-9_-]+$/.test(n)))];
}

const ROUTE_VARS: Record<EventClass, string> = {
  failure: 'BACKUP_FAILURE_NOTIFICATIONS',
  health: 'BACKUP_HEALTH_NOTIFICATIONS',
  success: 'BACKUP_SUCCESS_NOTIFICATIONS',
};

/** The variable whose presence means "I want this channel" even when no route names it. */
const KEY_VARS: Record<ShippedChannelName, string> = {
  mail: 'BACKUP_NOTIFICATION_EMAIL',
  slack: 'SLACK_WEBHOOK_URL',
  discord: 'DISCORD_WEBHOOK_URL',
  webhook: 'BACKUP_WEBHOOK_URL',
};

const MIN_WEBHOOK_SECRET_LENGTH = 16;

/**
 * Reads the notification settings from the environment (the variable names spatie users
 * know). Collects every problem instead of stopping at the first, and never echoes a secret
 * or a webhook URL in a message.
 *
 * @example
 *   const { channels, routes, secrets, errors } = channelsFromEnv(process.env);
 *   if (errors.length) throw new NotifyConfigError(errors);
 */
export function channelsFromEnv(env: Env, options: ChannelsFromEnvOptions = {}): NotifyEnvConfig {
  const errors: string[] = [];
  const warnings: string[] = [];
  const known = new Set<string>([...SHIPPED_CHANNELS, ...(options.customChannels ?? [])]);

  // 1. Routes, and for each shipped channel which variable routes it (for the error text).
  const routes: NotificationRoutes = { failure: [], health: [], success: [] };
  const routedBy = new Map<ShippedChannelName, { variable: string; explicit: boolean }[]>();
  for (const eventClass of Object.keys(ROUTE_VARS) as EventClass[]) {
    const variable = ROUTE_VARS[eventClass];
    const raw = env[variable];
    const explicit = raw !== undefined;
    const names = explicit ? splitList(raw).map((n) => n.toLowerCase()) : [...NOTIFY_DEFAULTS.routes[eventClass]];
    for (const name of new Set(names)) {
      if (!known.has(name)) {
        errors.push(
          `${variable} names '${name}', which is not a notification channel; use a comma list of ${[...known].join(', ')} (or leave it empty for none)`,
        );
        continue;
      }
      routes[eventClass].push(name);
      if ((SHIPPED_CHANNELS as readonly string[]).includes(name)) {
        const list = routedBy.get(name as ShippedChannelName) ?? [];
        list.push({ variable, explicit });
        routedBy.set(name as ShippedChannelName, list);
      }
    }
  }

  // 2. Each shipped channel that is routed or configured is validated and built.
  const channels: NotificationChannel[] = [];
  const secrets = [env.MAIL_PASSWORD, env.BACKUP_WEBHOOK_SECRET, env.SLACK_WEBHOOK_URL, env.DISCORD_WEBHOOK_URL]
    .concat(env.BACKUP_WEBHOOK_URL ? [webhookUrlSecretPart(env.BACKUP_WEBHOOK_URL)] : [])
    .filter((s): s is string => !!s);

  for (const name of SHIPPED_CHANNELS) {
    const routedVia = routedBy.get(name) ?? [];
    const configured = !!env[KEY_VARS[name]]?.trim();
    if (!configured && routedVia.length === 0) continue;

    // A route the user never wrote (the default 'mail') to a channel nobody set up: warn only.
    if (!configured && routedVia.every((r) => !r.explicit)) {
      for (const r of routedVia) {
        warnings.push(
          `${r.variable} is not set, so it defaults to '${name}', but ${KEY_VARS[name]} is not set: these events will not be notified. Configure ${name}, or set ${r.variable} to the channels you use (empty for none).`,
        );
      }
      dropFromRoutes(routes, name);
      continue;
    }

    const problems: string[] = [];
    const missing = (variable: string, what: string) => {
      const explicitRoute = routedVia.find((r) => r.explicit);
      problems.push(
        explicitRoute
          ? `${explicitRoute.variable} names '${name}' but ${variable} is not set (${what})`
          : `${variable} is not set (${what}), needed by the ${name} channel because ${KEY_VARS[name]} is set`,
      );
    };
    const channel = buildChannel(name, env, missing, problems);
    errors.push(...problems);
    if (channel && problems.length === 0) channels.push(channel);
    else dropFromRoutes(routes, name);
  }

  return { channels, routes, secrets, errors, warnings };
}

/**
 * channelsFromEnv plus the Notifier's other options, throwing a NotifyConfigError that lists
 * every problem when the settings are unusable.
 */
export function notifierOptionsFromEnv(
  env: Env,
  extra: Omit<NotifierOptions, 'channels' | 'routes'> & ChannelsFromEnvOptions & { channels?: NotificationChannel[] } = {},
): NotifierOptions & { warnings: string[] } {
  const config = channelsFromEnv(env, extra);
  if (config.errors.length) throw new NotifyConfigError(config.errors);
  const { customChannels: _custom, channels: hostChannels = [], secrets = [], ...rest } = extra;
  return {
    ...rest,
    channels: [...config.channels, ...hostChannels],
    routes: config.routes,
    secrets: [...config.secrets, ...secrets],
    warnings: config.warnings,
  };
}

function buildChannel(
  name: ShippedChannelName,
  env: Env,
  missing: (variable: string, what: string) => void,
  problems: string[],
): NotificationChannel | undefined {
  switch (name) {
    case 'mail': {
      const host = env.MAIL_HOST?.trim();
      const portText = env.MAIL_PORT?.trim() || '587';
      const port = Number(portText);
      const from = env.MAIL_FROM_ADDRESS?.trim();
      const to = splitList(env.BACKUP_NOTIFICATION_EMAIL);
      if (!host) missing('MAIL_HOST', 'the SMTP server to send through');
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        problems.push(`MAIL_PORT must be a port number from 1 to 65535, got '${portText}'`);
      }
      if (!from) missing('MAIL_FROM_ADDRESS', 'the sender address');
      else if (!looksLikeEmail(from)) problems.push(`MAIL_FROM_ADDRESS must be an e-mail address, got '${from}'`);
      if (to.length === 0) missing('BACKUP_NOTIFICATION_EMAIL', 'a comma list of addresses to notify');
      for (const address of to.filter((a) => !looksLikeEmail(a))) {
        problems.push(`BACKUP_NOTIFICATION_EMAIL must be a comma list of e-mail addresses; '${address}' is not one`);
      }
      if (env.MAIL_USERNAME && !env.MAIL_PASSWORD) {
        problems.push('MAIL_USERNAME is set but MAIL_PASSWORD is not; set both, or neither for a relay without login');
      }
      // Laravel's MAIL_ENCRYPTION: "ssl" (TLS from the first byte, port 465), "tls" (STARTTLS
      // required), "none"; unset: TLS from the start on port 465, STARTTLS when offered elsewhere.
      const encryption = env.MAIL_ENCRYPTION?.trim().toLowerCase() || undefined;
      if (encryption && !['ssl', 'tls', 'none', 'null'].includes(encryption)) {
        problems.push(`MAIL_ENCRYPTION must be ssl, tls or none, got '${env.MAIL_ENCRYPTION}'`);
      }
      if (!host || !from || to.length === 0) return undefined;
      return new MailChannel({
        host,
        port,
        username: env.MAIL_USERNAME || undefined,
        password: env.MAIL_PASSWORD || undefined,
        from,
        to,
        secure: encryption === 'ssl' ? true : encryption ? false : undefined,
        requireTls: encryption === 'tls' ? true : undefined,
      });
    }
    case 'slack':
    case 'discord': {
      const variable = name === 'slack' ? 'SLACK_WEBHOOK_URL' : 'DISCORD_WEBHOOK_URL';
      const url = env[variable]?.trim();
      if (!url) {
        missing(variable, `the ${name === 'slack' ? 'Slack incoming' : 'Discord'} webhook URL`);
        return undefined;
      }
      if (!isHttpUrl(url)) {
        problems.push(`${variable} must be an http(s) URL (the value is not shown: it is a secret)`);
        return undefined;
      }
      return name === 'slack' ? new SlackChannel({ webhookUrl: url }) : new DiscordChannel({ webhookUrl: url });
    }
    case 'webhook': {
      const url = env.BACKUP_WEBHOOK_URL?.trim();
      const secret = env.BACKUP_WEBHOOK_SECRET ?? '';
      if (!url) missing('BACKUP_WEBHOOK_URL', 'where to POST the signed JSON');
      else if (!isHttpUrl(url)) problems.push('BACKUP_WEBHOOK_URL must be an http(s) URL');
      if (!secret) {
        problems.push(
          'BACKUP_WEBHOOK_SECRET is not set: the webhook body is signed with it (X-Backup-Signature) so the receiver can trust it; set a long random value, e.g. the output of `openssl rand -hex 32`',
        );
      } else if (secret.length < MIN_WEBHOOK_SECRET_LENGTH) {
        problems.push(`BACKUP_WEBHOOK_SECRET must be at least ${MIN_WEBHOOK_SECRET_LENGTH} characters long`);
      }
      if (!url || !isHttpUrl(url) || secret.length < MIN_WEBHOOK_SECRET_LENGTH) return undefined;
      return new WebhookChannel({ url, secret });
    }
  }
}

function dropFromRoutes(routes: NotificationRoutes, name: string): void {
  for (const key of Object.keys(routes) as EventClass[]) routes[key] = routes[key].filter((n) => n !== name);
}

function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function looksLikeEmail(value: string): boolean {
  // "Name <a@b.c>" or "a@b.c"; the SMTP server has the last word.
  return /^(?:[^<>]*<)?[^\s@<>]+@[^\s@<>]+(?:>)?$/.test(value);
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !!url.hostname;
  } catch {
    return false;
  }
}

/** A generic webhook URL may carry a token in its query or userinfo; treat those as secret. */
function webhookUrlSecretPart(value: string): string {
  try {
    const url = new URL(value);
    return url.search.length > 1 || url.password ? value : '';
  } catch {
    return '';
  }
}
