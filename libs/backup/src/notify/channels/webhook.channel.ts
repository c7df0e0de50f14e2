import { NotificationChannel, NotificationMessage, SendOptions } from '../notification-channel.interface';
import { EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhookBody } from '../webhook.signature';
import { NotifyConfigError } from '../notify.errors';
import { postJson } from './http-post';

export interface WebhookChannelOptions {
  /** BACKUP_WEBHOOK_URL. */
  url: string;
  /** BACKUP_WEBHOOK_SECRET: the HMAC key the receiver shares; never sent. */
  secret: string;
}

/**
 * Posts the event as JSON, `{ event, ...payload, subject, text, sentAt }`, signed so the
 * receiver can trust it: `X-Backup-Signature: sha256=<hex HMAC-SHA256 of the exact body>`,
 * plus `X-Backup-Event` and `X-Backup-Timestamp`. Receivers check it with
 * verifyWebhookSignature(rawBody, header, secret).
 *
 * @example new WebhookChannel({ url: process.env.BACKUP_WEBHOOK_URL!, secret: process.env.BACKUP_WEBHOOK_SECRET! })
 */
export class WebhookChannel implements NotificationChannel {
  readonly name = 'webhook';

  constructor(private readonly options: WebhookChannelOptions) {
    if (!options.secret) {
      throw new NotifyConfigError(['The webhook channel needs a secret (BACKUP_WEBHOOK_SECRET) to sign its requests']);
    }
  }

  async send(message: NotificationMessage, options?: SendOptions): Promise<void> {
    const sentAt = new Date().toISOString();
    const body = JSON.stringify({
      event: message.event,
      ...message.payload,
      subject: message.subject,
      text: message.text,
      sentAt,
    });
    await postJson(
      this.name,
      this.options.url,
      body,
      {
        [SIGNATURE_HEADER]: signWebhookBody(body, this.options.secret),
        [EVENT_HEADER]: message.event,
        [TIMESTAMP_HEADER]: sentAt,
      },
      options?.signal,
    );
  }
}
