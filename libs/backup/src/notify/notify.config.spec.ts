import { channelsFromEnv, notifierOptionsFromEnv } from './notify.config';
import { NotifyConfigError } from './notify.errors';

const mailEnv = {
  MAIL_HOST: 'smtp.example.com',
  MAIL_PORT: '2525',
  MAIL_USERNAME: 'backup',
  MAIL_PASSWORD: 'smtp-pass-123',
  MAIL_FROM_ADDRESS: 'backup@example.com',
  BACKUP_NOTIFICATION_EMAIL: 'ops@example.com, cto@example.com',
};

describe('channelsFromEnv', () => {
  it('builds every configured channel and reads the three routing lists', () => {
    const cfg = channelsFromEnv({
      ...mailEnv,
      SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/xyz',
      DISCORD_WEBHOOK_URL: 'https://discord.com/api/webhooks/1/abc',
      BACKUP_WEBHOOK_URL: 'https://ops.example.com/hooks/backup',
      BACKUP_WEBHOOK_SECRET: 'whsec-0123456789abcdef',
      BACKUP_FAILURE_NOTIFICATIONS: 'mail, Slack,webhook',
      BACKUP_HEALTH_NOTIFICATIONS: 'discord',
      BACKUP_SUCCESS_NOTIFICATIONS: '',
    });
    expect(cfg.errors).toEqual([]);
    expect(cfg.channels.map((c) => c.name)).toEqual(['mail', 'slack', 'discord', 'webhook']);
    expect(cfg.routes).toEqual({ failure: ['mail', 'slack', 'webhook'], health: ['discord'], success: [] });
    expect(cfg.secrets).toEqual(
      expect.arrayContaining([
        'smtp-pass-123',
        'whsec-0123456789abcdef',
        'https://hooks.slack.com/services/T0/B0/xyz',
        'https://discord.com/api/webhooks/1/abc',
      ]),
    );
  });

  it('defaults to mail for failure and health, nothing for success', () => {
    const cfg = channelsFromEnv(mailEnv);
    expect(cfg.errors).toEqual([]);
    expect(cfg.routes).toEqual({ failure: ['mail'], health: ['mail'], success: [] });
  });

  it('names the routing variable when a routed channel is not configured', () => {
    const cfg = channelsFromEnv({ BACKUP_FAILURE_NOTIFICATIONS: 'slack', BACKUP_HEALTH_NOTIFICATIONS: 'mail' });
    expect(cfg.errors).toEqual(
      expect.arrayContaining([
        "BACKUP_FAILURE_NOTIFICATIONS names 'slack' but SLACK_WEBHOOK_URL is not set (the Slack incoming webhook URL)",
        expect.stringMatching(/^BACKUP_HEALTH_NOTIFICATIONS names 'mail' but MAIL_HOST is not set/),
        expect.stringMatching(/^BACKUP_HEALTH_NOTIFICATIONS names 'mail' but BACKUP_NOTIFICATION_EMAIL is not set/),
      ]),
    );
    expect(cfg.channels).toEqual([]);
  });

  it('only warns when the default mail route has no mail settings, and drops it', () => {
    const cfg = channelsFromEnv({});
    expect(cfg.errors).toEqual([]);
    expect(cfg.warnings).toHaveLength(2);
    expect(cfg.warnings[0]).toContain('BACKUP_FAILURE_NOTIFICATIONS is not set');
    expect(cfg.routes).toEqual({ failure: [], health: [], success: [] });
  });

  it('rejects unknown channel names, bad URLs, bad ports and addresses, and a webhook without secret', () => {
    const cfg = channelsFromEnv({
      BACKUP_FAILURE_NOTIFICATIONS: 'mail,teams',
      MAIL_HOST: 'smtp',
      MAIL_PORT: 'abc',
      MAIL_FROM_ADDRESS: 'not-an-address',
      BACKUP_NOTIFICATION_EMAIL: 'ops@example.com,nobody',
      SLACK_WEBHOOK_URL: 'hooks.slack.com/services/SECRET-PATH',
      BACKUP_WEBHOOK_URL: 'https://ops.example.com/hook',
    });
    const text = cfg.errors.join('\n');
    expect(text).toContain("BACKUP_FAILURE_NOTIFICATIONS names 'teams', which is not a notification channel");
    expect(text).toContain("MAIL_PORT must be a port number from 1 to 65535, got 'abc'");
    expect(text).toContain("MAIL_FROM_ADDRESS must be an e-mail address, got 'not-an-address'");
    expect(text).toContain("'nobody' is not one");
    expect(text).toContain('SLACK_WEBHOOK_URL must be an http(s) URL');
    expect(text).toContain('BACKUP_WEBHOOK_SECRET is not set');
    expect(text).not.toContain('SECRET-PATH');
    expect(cfg.channels).toEqual([]);
  });

  it('accepts channel names the host registers itself', () => {
    const cfg = channelsFromEnv({ BACKUP_FAILURE_NOTIFICATIONS: 'pager' }, { customChannels: ['pager'] });
    expect(cfg.errors).toEqual([]);
    expect(cfg.routes.failure).toEqual(['pager']);
  });
});

describe('notifierOptionsFromEnv', () => {
  it('throws a NotifyConfigError listing every problem', () => {
    expect(() => notifierOptionsFromEnv({ BACKUP_FAILURE_NOTIFICATIONS: 'webhook', BACKUP_WEBHOOK_URL: 'https://x.example' })).toThrow(
      NotifyConfigError,
    );
    let caught: unknown;
    try {
      notifierOptionsFromEnv({ BACKUP_FAILURE_NOTIFICATIONS: 'slack,discord' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(NotifyConfigError);
    expect((caught as NotifyConfigError).problems).toHaveLength(2);
    expect((caught as Error).message).toContain('SLACK_WEBHOOK_URL');
    expect((caught as Error).message).toContain('DISCORD_WEBHOOK_URL');
  });

  it('merges host options and secrets', () => {
    const opts = notifierOptionsFromEnv(mailEnv, { appName: 'shop', enabled: false, secrets: ['db-pass-1'] });
    expect(opts.appName).toBe('shop');
    expect(opts.enabled).toBe(false);
    expect(opts.secrets).toEqual(expect.arrayContaining(['smtp-pass-123', 'db-pass-1']));
    expect(opts.channels.map((c) => c.name)).toEqual(['mail']);
  });
});

describe('MAIL_ENCRYPTION', () => {
  const base = {
    BACKUP_FAILURE_NOTIFICATIONS: 'mail',
    MAIL_HOST: 'smtp.example.com',
    MAIL_FROM_ADDRESS: 'b@example.com',
    BACKUP_NOTIFICATION_EMAIL: 'ops@example.com',
  };
  const mailOptions = (env: Record<string, string>) =>
    (channelsFromEnv({ ...base, ...env }).channels[0] as unknown as { options: Record<string, unknown> }).options;

  it('ssl: TLS from the first byte; tls: STARTTLS required; unset: decided by the port', () => {
    expect(mailOptions({ MAIL_ENCRYPTION: 'ssl' })).toMatchObject({ secure: true });
    expect(mailOptions({ MAIL_ENCRYPTION: 'tls' })).toMatchObject({ secure: false, requireTls: true });
    expect(mailOptions({})).toMatchObject({ secure: undefined, requireTls: undefined });
  });

  it('anything else is a configuration error naming the variable', () => {
    expect(channelsFromEnv({ ...base, MAIL_ENCRYPTION: 'starttls' }).errors).toEqual([
      "MAIL_ENCRYPTION must be ssl, tls or none, got 'starttls'",
    ]);
  });
});
