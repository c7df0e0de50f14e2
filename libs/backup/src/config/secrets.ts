import { BackupModuleOptions } from './backup-options.interface';

/**
 * Every configured value that must never reach a log line, an error message, a notification or
 * an archive's manifest: what each service's Redactor is built from.
 */
export function secretsOf(options: BackupModuleOptions): string[] {
  const env = options.notificationEnv ?? {};
  return [
    options.archive.password,
    options.s3?.secretAccessKey,
    options.s3?.accessKeyId,
    env.MAIL_PASSWORD,
    env.BACKUP_WEBHOOK_SECRET,
    env.SLACK_WEBHOOK_URL,
    env.DISCORD_WEBHOOK_URL,
    ...(options.connections ?? []).map((c) => c.password),
  ].filter((s): s is string => !!s);
}
