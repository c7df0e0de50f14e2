/**
 * The Notifier against real receivers: a real SMTP server (smtp-server) and real HTTP servers
 * standing in for Slack, Discord and a signed webhook. Channels are built from environment
 * variables the way a host app configures them.
 */
import { Logger, LoggerService } from '@nestjs/common';
import { EventEmitter2, EventEmitterModule } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import { BackupEvents, BackupFailedEvent, UnhealthyBackupFoundEvent } from '../../libs/backup/src/events/backup.events';
import { NotificationListener } from '../../libs/backup/src/notify/notification.listener';
import { Notifier, NotifierOptions } from '../../libs/backup/src/notify/notifier.service';
import { NOTIFIER_OPTIONS } from '../../libs/backup/src/notify/notify.constants';
import { Env, notifierOptionsFromEnv } from '../../libs/backup/src/notify/notify.config';
import { verifyWebhookSignature } from '../../libs/backup/src/notify/webhook.signature';
import { HttpReceiver, SmtpReceiver, deadPort, startHttpReceiver, startSmtpReceiver } from '../support/receivers';

const SMTP_PASSWORD = 'smtp-Pa55word-e2e';
const WEBHOOK_SECRET = 'whsec-e2e-4f1c2b9a7d';
const S3_KEY = 'AKIAE2EFAKEKEY000042';
const S3_SECRET = 'e2eSecretKey/abcDEF123+xyz';

const failed: BackupFailedEvent = {
  appName: 'shop',
  destination: 's3',
  at: '2026-11-21T02:00:03.000Z',
  backupName: 'shop/2026-11-21-02-00-00.zip',
  // An error text as a careless SDK might phrase it, carrying the key and secret.
  error: `InvalidAccessKeyId: The AWS Access Key Id ${S3_KEY} (secret ${S3_SECRET}) does not exist in our records`,
};

const unhealthy: UnhealthyBackupFoundEvent = {
  appName: 'shop',
  destination: 'local',
  at: '2026-11-21T06:00:00.000Z',
  newestBackup: 'shop/2026-11-18-02-00-00.zip',
  newestBackupAt: '2026-11-18T02:00:00.000Z',
  failures: [{ check: 'max-age', message: 'The newest backup is 3 days old; the limit is 1 day' }],
};

describe('Notifier end to end', () => {
  let smtp: SmtpReceiver;
  let slack: HttpReceiver;
  let discord: HttpReceiver;
  let webhook: HttpReceiver;
  const logLines: string[] = [];
  const captureLogger: LoggerService = {
    log: (m) => logLines.push(String(m)),
    warn: (m) => logLines.push(String(m)),
    error: (m) => logLines.push(String(m)),
  };

  beforeEach(async () => {
    logLines.length = 0;
    Logger.overrideLogger(captureLogger);
    [smtp, slack, discord, webhook] = await Promise.all([
      startSmtpReceiver({ username: 'backup-bot', password: SMTP_PASSWORD }),
      startHttpReceiver(),
      startHttpReceiver(),
      startHttpReceiver(),
    ]);
  });

  afterEach(async () => {
    await Promise.all([smtp.stop(), slack.stop(), discord.stop(), webhook.stop()]);
    Logger.overrideLogger(true);
  });

  const env = (extra: Env = {}): Env => ({
    MAIL_HOST: smtp.host,
    MAIL_PORT: String(smtp.port),
    MAIL_USERNAME: 'backup-bot',
    MAIL_PASSWORD: SMTP_PASSWORD,
    MAIL_FROM_ADDRESS: 'backup@shop.example',
    BACKUP_NOTIFICATION_EMAIL: 'ops@shop.example, cto@shop.example',
    SLACK_WEBHOOK_URL: `${slack.url}/services/T000/B000/slacktoken`,
    DISCORD_WEBHOOK_URL: `${discord.url}/api/webhooks/42/discordtoken`,
    BACKUP_WEBHOOK_URL: `${webhook.url}/hooks/backup`,
    BACKUP_WEBHOOK_SECRET: WEBHOOK_SECRET,
    BACKUP_FAILURE_NOTIFICATIONS: 'mail,slack,discord,webhook',
    BACKUP_HEALTH_NOTIFICATIONS: 'mail,slack,discord,webhook',
    ...extra,
  });

  /** The host's own secrets (S3 keys) join the ones read with the notification settings. */
  const notifier = (extra: Env = {}, options: Partial<NotifierOptions> = {}) =>
    new Notifier(
      notifierOptionsFromEnv(env(extra), {
        appName: 'shop',
        secrets: [S3_KEY, S3_SECRET],
        retries: 2,
        retryDelayMs: 20,
        timeoutMs: 2000,
        cliCommand: 'npm run cli --',
        ...options,
      }),
    );

  it('delivers a failed backup as a mail with subject, app, destination and error to every recipient', async () => {
    const report = await notifier({ BACKUP_FAILURE_NOTIFICATIONS: 'mail' }).notify(BackupEvents.BackupFailed, failed);
    expect(report.channels).toEqual([{ channel: 'mail', delivered: true, attempts: 1 }]);

    const [mail] = await smtp.waitForMails(1);
    expect(mail.subject).toBe('Backup of shop failed on s3');
    expect(mail.auth?.username).toBe('backup-bot');
    expect(mail.envelopeFrom).toBe('backup@shop.example');
    expect(mail.envelopeTo.sort()).toEqual(['cto@shop.example', 'ops@shop.example']);
    expect(mail.headers['x-backup-event']).toBe('backup.failed');
    expect(mail.text).toContain('The backup of shop to s3 failed at 2026-11-21T02:00:03.000Z.');
    expect(mail.text).toContain('Error: InvalidAccessKeyId: The AWS Access Key Id *** (secret ***) does not exist');
    expect(mail.text).toContain('run `npm run cli -- backup:list` to see the backups that exist');
    expect(mail.text).toMatch(/Destination:\s+s3/);
  });

  it('posts the right JSON to Slack, Discord and the signed webhook', async () => {
    const report = await notifier().notify(BackupEvents.UnhealthyBackupFound, unhealthy);
    expect(report.channels.map((c) => [c.channel, c.delivered])).toEqual([
      ['mail', true],
      ['slack', true],
      ['discord', true],
      ['webhook', true],
    ]);

    const [s] = slack.requests;
    expect(s.method).toBe('POST');
    expect(s.path).toBe('/services/T000/B000/slacktoken');
    expect(s.headers['content-type']).toBe('application/json');
    const slackBody = s.body as { text: string; blocks: unknown[] };
    expect(slackBody.text).toContain('*Unhealthy backups of shop on local*');
    expect(slackBody.text).toContain('max-age: The newest backup is 3 days old; the limit is 1 day');
    expect(slackBody.text).toContain('made at 2026-11-18T02:00:00.000Z (3 days 4 hours before this check)');
    expect(slackBody.blocks.length).toBeGreaterThanOrEqual(2);

    const [d] = discord.requests;
    expect(d.path).toBe('/api/webhooks/42/discordtoken');
    const discordBody = d.body as { content: string; embeds: Array<{ title: string; description: string; fields: unknown[] }> };
    expect(discordBody.content).toBe('**Unhealthy backups of shop on local**');
    expect(discordBody.embeds[0].title).toBe('Unhealthy backups of shop on local');
    expect(discordBody.embeds[0].description).toContain('`npm run cli -- backup:monitor`');
    expect(discordBody.embeds[0].fields).toContainEqual({ name: 'Destination', value: 'local', inline: true });

    const [w] = webhook.requests;
    expect(w.path).toBe('/hooks/backup');
    expect(w.headers['x-backup-event']).toBe('backup.health.unhealthy');
    expect(Date.parse(String(w.headers['x-backup-timestamp']))).not.toBeNaN();
    expect(w.body).toMatchObject({
      event: 'backup.health.unhealthy',
      appName: 'shop',
      destination: 'local',
      newestBackupAt: '2026-11-18T02:00:00.000Z',
      failures: unhealthy.failures,
      subject: 'Unhealthy backups of shop on local',
      sentAt: w.headers['x-backup-timestamp'],
    });
    expect(verifyWebhookSignature(w.rawBody, w.headers['x-backup-signature'], WEBHOOK_SECRET)).toBe(true);
    expect(verifyWebhookSignature(w.rawBody, w.headers['x-backup-signature'], 'some-other-secret-value')).toBe(false);
    expect(verifyWebhookSignature(w.rawBody.replace('local', 'LOCAL'), w.headers['x-backup-signature'], WEBHOOK_SECRET)).toBe(false);

    const [mail] = await smtp.waitForMails(1);
    expect(mail.subject).toBe('Unhealthy backups of shop on local');
  });

  it('retries a receiver answering 500 the configured number of times, reports it, and still delivers the others', async () => {
    slack.setMode({ kind: 'fail', status: 500 });
    const report = await notifier({}, { retries: 2 }).notify(BackupEvents.BackupFailed, failed);

    expect(slack.requests).toHaveLength(3); // the first attempt and 2 retries
    const slackReport = report.channels.find((c) => c.channel === 'slack');
    expect(slackReport).toEqual({
      channel: 'slack',
      delivered: false,
      attempts: 3,
      error: `slack: ${slack.url} answered HTTP 500 (receiver told to fail)`,
    });
    expect(report.channels.filter((c) => c.delivered).map((c) => c.channel)).toEqual(['mail', 'discord', 'webhook']);
    expect(discord.requests).toHaveLength(1);
    expect(webhook.requests).toHaveLength(1);
    expect(await smtp.waitForMails(1)).toHaveLength(1);
    expect(logLines.filter((l) => l.includes('to slack failed'))).toHaveLength(3);
  });

  it('delivers on a retry after a receiver recovers', async () => {
    webhook.setMode({ kind: 'fail-then-ok', status: 503, times: 1 });
    const report = await notifier({ BACKUP_FAILURE_NOTIFICATIONS: 'webhook' }).notify(BackupEvents.BackupFailed, failed);
    expect(report.channels).toEqual([{ channel: 'webhook', delivered: true, attempts: 2 }]);
    expect(webhook.requests.map((r) => r.answeredStatus)).toEqual([503, 200]);
    // Each attempt is signed afresh; both signatures verify.
    for (const r of webhook.requests) {
      expect(verifyWebhookSignature(r.rawBody, r.headers['x-backup-signature'], WEBHOOK_SECRET)).toBe(true);
    }
  });

  it('does not retry what retrying cannot fix: a 404 webhook URL and a refused SMTP login', async () => {
    discord.setMode({ kind: 'fail', status: 404 });
    const wrongPassword = 'wrong-Pa55word-e2e';
    const report = await notifier({ MAIL_PASSWORD: wrongPassword, BACKUP_FAILURE_NOTIFICATIONS: 'mail,discord' }, { retries: 3 }).notify(
      BackupEvents.BackupFailed,
      failed,
    );

    expect(discord.requests).toHaveLength(1);
    expect(report.channels).toEqual([
      { channel: 'mail', delivered: false, attempts: 1, error: expect.stringContaining('EAUTH') },
      { channel: 'discord', delivered: false, attempts: 1, error: expect.stringContaining('answered HTTP 404') },
    ]);
    expect(report.channels[0].error).toContain('Check MAIL_USERNAME and MAIL_PASSWORD');
    expect(smtp.mails).toHaveLength(0);
    expect(logLines.join('\n')).not.toContain(wrongPassword);
  });

  it('a dead SMTP port and a stalling webhook never throw out of notify() and it returns', async () => {
    webhook.setMode({ kind: 'stall' });
    const n = notifier(
      { MAIL_PORT: String(await deadPort()), BACKUP_FAILURE_NOTIFICATIONS: 'mail,webhook,discord' },
      { retries: 1, retryDelayMs: 10, timeoutMs: 300 },
    );
    const report = await n.notify(BackupEvents.BackupFailed, failed);

    const byName = Object.fromEntries(report.channels.map((c) => [c.channel, c]));
    expect(byName.mail).toMatchObject({ delivered: false, attempts: 2 });
    expect(byName.mail.error).toMatch(/ECONNREFUSED|ECONNECTION/);
    expect(byName.webhook).toMatchObject({ delivered: false, attempts: 2 });
    expect(byName.webhook.error).toBe('webhook: no answer within 300 ms, gave up on this attempt');
    expect(webhook.requests).toHaveLength(2);
    expect(byName.discord).toEqual({ channel: 'discord', delivered: true, attempts: 1 });
  }, 20_000);

  it('no secret appears in any delivered message, header or log line', async () => {
    slack.setMode({ kind: 'fail-then-ok', status: 500, times: 1 }); // produce retry log lines too
    await notifier().notify(BackupEvents.BackupFailed, failed);
    await notifier({ MAIL_PORT: String(await deadPort()) }, { retries: 0 }).notify(BackupEvents.BackupFailed, failed);
    const mails = await smtp.waitForMails(1);

    const delivered = [
      ...mails.map((m) => m.raw),
      ...[slack, discord, webhook].flatMap((r) => r.requests.map((q) => `${q.path}\n${JSON.stringify(q.headers)}\n${q.rawBody}`)),
    ].join('\n');
    const everything = `${delivered}\n${logLines.join('\n')}`;
    expect(delivered).toContain('InvalidAccessKeyId'); // the error itself is there, redacted
    expect(logLines.length).toBeGreaterThan(0);
    for (const secret of [SMTP_PASSWORD, WEBHOOK_SECRET, S3_KEY, S3_SECRET, 'slacktoken', 'discordtoken']) {
      // Webhook tokens legitimately appear in the request path of their own receiver only.
      const haystack = secret.endsWith('token') ? `${mails.map((m) => m.raw).join('\n')}\n${logLines.join('\n')}` : everything;
      expect(haystack).not.toContain(secret);
    }
  });

  it('sends nothing when disabled (--disable-notifications)', async () => {
    const report = await notifier({}, { enabled: false }).notify(BackupEvents.BackupFailed, failed);
    expect(report.skipped).toBe('disabled');
    expect(smtp.mails).toHaveLength(0);
    expect([slack, discord, webhook].map((r) => r.requests.length)).toEqual([0, 0, 0]);
  });

  it('NotificationListener forwards emitted events through @nestjs/event-emitter', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [EventEmitterModule.forRoot()],
      providers: [
        {
          provide: NOTIFIER_OPTIONS,
          useValue: notifierOptionsFromEnv(env({ BACKUP_FAILURE_NOTIFICATIONS: 'webhook', BACKUP_HEALTH_NOTIFICATIONS: 'slack' }), {
            appName: 'shop',
            retryDelayMs: 10,
          }),
        },
        Notifier,
        NotificationListener,
      ],
    }).compile();
    const app = moduleRef;
    await app.init();
    try {
      const emitter = app.get(EventEmitter2);
      const results = await emitter.emitAsync(BackupEvents.BackupFailed, failed);
      expect(results).toEqual([expect.objectContaining({ event: 'backup.failed' })]);
      await emitter.emitAsync(BackupEvents.UnhealthyBackupFound, unhealthy);
      await emitter.emitAsync(BackupEvents.HealthyBackupFound, { ...unhealthy, failures: undefined });

      expect(webhook.requests.map((r) => (r.body as { event: string }).event)).toEqual(['backup.failed']);
      expect(slack.requests).toHaveLength(1); // unhealthy only: healthy follows the (empty) success route
      expect(smtp.mails).toHaveLength(0);
    } finally {
      await app.close();
    }
  });
});
