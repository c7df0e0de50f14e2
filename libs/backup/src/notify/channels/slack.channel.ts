import { NotificationChannel, NotificationMessage, SendOptions } from '../notification-channel.interface';
import { postJson } from './http-post';

export interface SlackChannelOptions {
  /** The incoming-webhook URL (SLACK_WEBHOOK_URL). Its path is a secret. */
  webhookUrl: string;
}

const EMOJI = { error: ':rotating_light:', warning: ':warning:', success: ':white_check_mark:' } as const;

/**
 * Posts to a Slack incoming webhook: `{ text, blocks }`. `text` carries the whole message so
 * notifications and clients without blocks still show everything.
 *
 * @example new SlackChannel({ webhookUrl: process.env.SLACK_WEBHOOK_URL! })
 */
export class SlackChannel implements NotificationChannel {
  readonly name = 'slack';

  constructor(private readonly options: SlackChannelOptions) {}

  async send(message: NotificationMessage, options?: SendOptions): Promise<void> {
    await postJson(this.name, this.options.webhookUrl, JSON.stringify(slackBody(message)), {}, options?.signal);
  }
}

export function slackBody(message: NotificationMessage) {
  const headline = `${EMOJI[message.level]} *${escape(message.subject)}*`;
  return {
    text: `${headline}\n${escape(message.text)}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: headline } },
      { type: 'section', text: { type: 'mrkdwn', text: escape(message.text).slice(0, 3000) } },
      ...(message.fields.length
        ? [
            {
              type: 'section',
              // Slack allows at most 10 fields of 2000 characters each.
              fields: message.fields.slice(0, 10).map((f) => ({
                type: 'mrkdwn',
                text: `*${escape(f.name)}*\n${escape(f.value).slice(0, 1900)}`,
              })),
            },
          ]
        : []),
    ],
  };
}

/** Slack's three control characters; everything else is shown as written. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
