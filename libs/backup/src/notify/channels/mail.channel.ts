import { NotificationChannel, NotificationMessage, SendOptions } from '../notification-channel.interface';
import { optionalDriver } from '../../common/optional-driver';
import { ChannelDeliveryError } from '../notify.errors';

export interface MailChannelOptions {
  /** MAIL_HOST / MAIL_PORT. */
  host: string;
  port: number;
  /** MAIL_USERNAME / MAIL_PASSWORD; leave out for a relay that needs no login. */
  username?: string;
  password?: string;
  /** MAIL_FROM_ADDRESS. */
  from: string;
  /** BACKUP_NOTIFICATION_EMAIL: one address, a comma list, or an array. */
  to: string | string[];
  /**
   * TLS from the first byte (SMTPS). Default: true on port 465, else false — then STARTTLS is
   * used when the server offers it and the connection stays plain when it does not.
   */
  secure?: boolean;
  /** Refuse to send unless STARTTLS succeeds (for servers across a network). Default false. */
  requireTls?: boolean;
  /** Connect/greeting/socket timeout; the Notifier's per-attempt signal applies as well. */
  timeoutMs?: number;
}

/**
 * Sends notifications by SMTP through nodemailer: the subject as subject, the text followed by
 * the fields as the plain-text body, and an X-Backup-Event header for mail filters.
 *
 * @example new MailChannel({ host: 'smtp.example.com', port: 587, username, password,
 *   from: 'backup@example.com', to: 'ops@example.com, cto@example.com' })
 */
export class MailChannel implements NotificationChannel {
  readonly name = 'mail';
  private readonly to: string[];

  constructor(private readonly options: MailChannelOptions) {
    this.to = (Array.isArray(options.to) ? options.to : options.to.split(',')).map((a) => a.trim()).filter(Boolean);
  }

  async send(message: NotificationMessage, options?: SendOptions): Promise<void> {
    const { host, port, username, password, secure, requireTls, timeoutMs = 10_000 } = this.options;
    // Loaded with the first mail, not with the module (19 ms of every CLI command's start-up),
    // and an optional peer: an app without mail alerts does not install it.
    const { createTransport } = optionalDriver<typeof import('nodemailer')>('nodemailer', 'Mail notifications');
    const transport = createTransport({
      host,
      port,
      secure: secure ?? port === 465,
      requireTLS: requireTls ?? false,
      auth: username ? { user: username, pass: password ?? '' } : undefined,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
    try {
      await transport.sendMail({
        from: this.options.from,
        to: this.to,
        subject: message.subject,
        text: mailBody(message),
        priority: message.level === 'error' ? 'high' : 'normal',
        headers: { 'X-Backup-Event': message.event },
        signal: options?.signal,
      });
    } catch (err) {
      throw mailError(err, `${host}:${port}`);
    } finally {
      transport.close();
    }
  }
}

export function mailBody(message: NotificationMessage): string {
  const width = Math.max(0, ...message.fields.map((f) => f.name.length));
  const table = message.fields.map((f) => `${`${f.name}:`.padEnd(width + 2)}${f.value}`).join('\n');
  return `${message.text}\n\n${table}\n`;
}

/** Keeps the SMTP error's code and server reply; login and address errors are not retried. */
function mailError(err: any, server: string): ChannelDeliveryError {
  const code: string | undefined = err?.code;
  if (code === 'EABORT' || err?.name === 'AbortError') {
    return new ChannelDeliveryError('mail', `no answer from SMTP server ${server} before the timeout`, true);
  }
  const responseCode: number | undefined = err?.responseCode;
  const permanent = code === 'EAUTH' || code === 'EENVELOPE' || code === 'ECONFIG' || (responseCode !== undefined && responseCode >= 500);
  const hint =
    code === 'EAUTH'
      ? 'Check MAIL_USERNAME and MAIL_PASSWORD.'
      : code === 'EENVELOPE'
        ? 'Check MAIL_FROM_ADDRESS and BACKUP_NOTIFICATION_EMAIL.'
        : code === 'ECONNECTION' || code === 'ETIMEDOUT' || code === 'ESOCKET'
          ? 'Check MAIL_HOST and MAIL_PORT and that the SMTP server is running.'
          : undefined;
  const detail = String(err?.message ?? err).split('\n')[0];
  return new ChannelDeliveryError('mail', `SMTP server ${server}: ${code ? `${code} ` : ''}${detail}`, !permanent, hint);
}
