import { NotificationChannel, NotificationMessage, SendOptions } from '../notification-channel.interface';
import { postJson } from './http-post';

export interface DiscordChannelOptions {
  /** The webhook URL (DISCORD_WEBHOOK_URL). Its path is a secret. */
  webhookUrl: string;
}

const COLOR = { error: 0xd92d20, warning: 0xf79009, success: 0x12b76a } as const;

/**
 * Posts to a Discord webhook: `{ content, embeds }`. `content` holds the headline (at most
 * 2000 characters), the embed the details.
 *
 * @example new DiscordChannel({ webhookUrl: process.env.DISCORD_WEBHOOK_URL! })
 */
export class DiscordChannel implements NotificationChannel {
  readonly name = 'discord';

  constructor(private readonly options: DiscordChannelOptions) {}

  async send(message: NotificationMessage, options?: SendOptions): Promise<void> {
    await postJson(this.name, this.options.webhookUrl, JSON.stringify(discordBody(message)), {}, options?.signal);
  }
}

export function discordBody(message: NotificationMessage) {
  return {
    content: `**${message.subject}**`.slice(0, 2000),
    // No @everyone / role pings from text that came out of an error message.
    allowed_mentions: { parse: [] as string[] },
    embeds: [
      {
        title: message.subject.slice(0, 256),
        description: message.text.slice(0, 4096),
        color: COLOR[message.level],
        fields: message.fields.slice(0, 25).map((f) => ({
          name: f.name.slice(0, 256),
          value: f.value.slice(0, 1024),
          inline: f.value.length <= 40,
        })),
        timestamp: typeof message.payload.at === 'string' ? message.payload.at : undefined,
      },
    ],
  };
}
