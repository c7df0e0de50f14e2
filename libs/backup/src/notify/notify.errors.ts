import { BackupError } from '../common/backup.error';

/**
 * A channel could not deliver a message. `retryable` is false when trying again cannot help
 * (a 4xx answer other than 408/429: wrong webhook URL, revoked token).
 */
export class ChannelDeliveryError extends BackupError {
  constructor(
    readonly channel: string,
    message: string,
    readonly retryable: boolean,
    hint?: string,
  ) {
    super(`${channel}: ${message}`, hint);
  }
}

/** The notification settings (environment or options) are unusable; lists every problem. */
export class NotifyConfigError extends BackupError {
  constructor(readonly problems: string[]) {
    super(
      `Notification settings are invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      'Fix the variables named above, or remove the channel from the BACKUP_*_NOTIFICATIONS lists.',
    );
  }
}
