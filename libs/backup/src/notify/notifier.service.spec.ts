import { Logger, LoggerService } from '@nestjs/common';
import { BackupEvents, BackupFailedEvent } from '../events/backup.events';
import { NotificationChannel, NotificationMessage, SendOptions } from './notification-channel.interface';
import { Notifier, NotifierOptions } from './notifier.service';
import { ChannelDeliveryError } from './notify.errors';

/** A stand-in channel (unit test): records messages and fails as scripted. */
class ScriptedChannel implements NotificationChannel {
  readonly received: NotificationMessage[] = [];
  calls = 0;
  constructor(
    readonly name: string,
    private readonly behaviour: (call: number, signal?: AbortSignal) => Promise<void> = async () => undefined,
  ) {}
  async send(message: NotificationMessage, options?: SendOptions): Promise<void> {
    this.calls++;
    await this.behaviour(this.calls, options?.signal);
    this.received.push(message);
  }
}

const failed: BackupFailedEvent = {
  appName: 'shop',
  destination: 's3',
  at: '2026-11-21T02:00:00.000Z',
  error: 'InvalidAccessKeyId: AKIAFAKEKEY123456 with secret wJalrXUtnFEMI/K7MDENG is not valid',
};

describe('Notifier', () => {
  const lines: string[] = [];
  const capture: LoggerService = {
    log: (m) => lines.push(`log ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
  beforeEach(() => {
    lines.length = 0;
    Logger.overrideLogger(capture);
  });
  afterAll(() => Logger.overrideLogger(true));

  const make = (channels: NotificationChannel[], extra: Partial<NotifierOptions> = {}) =>
    new Notifier({ appName: 'shop', channels, retryDelayMs: 1, timeoutMs: 200, ...extra });

  it('routes failures, health and success to their lists (healthy follows the success route)', async () => {
    const mail = new ScriptedChannel('mail');
    const slack = new ScriptedChannel('slack');
    const n = make([mail, slack], { routes: { failure: ['mail', 'slack'], health: ['slack'], success: [] } });
    expect(n.channelsFor(BackupEvents.BackupFailed)).toEqual(['mail', 'slack']);
    expect(n.channelsFor(BackupEvents.CleanupFailed)).toEqual(['mail', 'slack']);
    expect(n.channelsFor(BackupEvents.UnhealthyBackupFound)).toEqual(['slack']);
    expect(n.channelsFor(BackupEvents.HealthyBackupFound)).toEqual([]);
    expect(n.channelsFor(BackupEvents.BackupSucceeded)).toEqual([]);

    const report = await n.notify(BackupEvents.BackupSucceeded, {
      appName: 'shop',
      destination: 's3',
      at: 't',
      backupName: 'b.zip',
      sizeBytes: 1,
      durationMs: 1,
    });
    expect(report).toMatchObject({ eventClass: 'success', skipped: 'no-route', channels: [] });
    expect(mail.calls + slack.calls).toBe(0);
  });

  it('defaults: failure and health to mail, success nowhere', () => {
    const n = make([]);
    expect(n.channelsFor(BackupEvents.BackupFailed)).toEqual(['mail']);
    expect(n.channelsFor(BackupEvents.UnhealthyBackupFound)).toEqual(['mail']);
    expect(n.channelsFor(BackupEvents.BackupSucceeded)).toEqual([]);
  });

  it('retries a failing channel the configured number of times, logs each attempt, reports it, and still delivers the others', async () => {
    const broken = new ScriptedChannel('slack', async () => {
      throw new ChannelDeliveryError('slack', 'answered HTTP 500', true);
    });
    const mail = new ScriptedChannel('mail');
    const n = make([broken, mail], { retries: 2, routes: { failure: ['slack', 'mail'] } });
    const report = await n.notify(BackupEvents.BackupFailed, failed);
    expect(broken.calls).toBe(3);
    expect(report.channels).toEqual([
      { channel: 'slack', delivered: false, attempts: 3, error: 'slack: answered HTTP 500' },
      { channel: 'mail', delivered: true, attempts: 1 },
    ]);
    expect(lines.filter((l) => l.startsWith('warn') && l.includes('slack'))).toHaveLength(2);
    expect(lines.filter((l) => l.startsWith('error') && l.includes('after 3 attempt(s)'))).toHaveLength(1);
  });

  it('succeeds on a later attempt and says so', async () => {
    const flaky = new ScriptedChannel('mail', async (call) => {
      if (call < 3) throw new Error('ECONNRESET');
    });
    const report = await make([flaky], { retries: 3 }).notify(BackupEvents.BackupFailed, failed);
    expect(report.channels).toEqual([{ channel: 'mail', delivered: true, attempts: 3 }]);
    expect(flaky.received).toHaveLength(1);
  });

  it('does not retry an error that says retrying cannot help', async () => {
    const refused = new ScriptedChannel('mail', async () => {
      throw new ChannelDeliveryError('mail', 'EAUTH Invalid login', false);
    });
    const report = await make([refused], { retries: 3 }).notify(BackupEvents.BackupFailed, failed);
    expect(refused.calls).toBe(1);
    expect(report.channels[0]).toMatchObject({ delivered: false, attempts: 1 });
  });

  it('bounds a channel that never answers, aborting its signal', async () => {
    let aborted = 0;
    const stuck = new ScriptedChannel('webhook', (_call, signal) => {
      signal?.addEventListener('abort', () => aborted++);
      return new Promise<void>(() => undefined); // ignores the signal on purpose
    });
    const started = Date.now();
    const report = await make([stuck], { retries: 1, timeoutMs: 50, routes: { failure: ['webhook'] } }).notify(
      BackupEvents.BackupFailed,
      failed,
    );
    expect(report.channels[0]).toMatchObject({ channel: 'webhook', delivered: false, attempts: 2 });
    expect(report.channels[0].error).toContain('no answer within 50 ms');
    expect(aborted).toBe(2);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('never throws: a channel that throws synchronously or a routed channel that does not exist is reported', async () => {
    const throwing: NotificationChannel = {
      name: 'mail',
      send: () => {
        throw new Error('boom');
      },
    };
    const report = await make([throwing], { retries: 0, routes: { failure: ['mail', 'discord'] } }).notify(
      BackupEvents.BackupFailed,
      failed,
    );
    expect(report.channels).toEqual([
      { channel: 'mail', delivered: false, attempts: 1, error: 'boom' },
      { channel: 'discord', delivered: false, attempts: 0, error: expect.stringContaining('not configured') },
    ]);
  });

  it('redacts every configured secret from the message, the payload, the report and the log', async () => {
    const secrets = ['AKIAFAKEKEY123456', 'wJalrXUtnFEMI/K7MDENG'];
    const echo = new ScriptedChannel('mail', async (call) => {
      if (call === 1) throw new Error(`server said: bad key AKIAFAKEKEY123456`);
    });
    const n = make([echo], { secrets, retries: 1 });
    const report = await n.notify(BackupEvents.BackupFailed, failed);
    const delivered = JSON.stringify(echo.received);
    expect(delivered).toContain('InvalidAccessKeyId: *** with secret *** is not valid');
    for (const s of secrets) {
      expect(delivered).not.toContain(s);
      expect(JSON.stringify(report)).not.toContain(s);
      expect(lines.join('\n')).not.toContain(s);
    }
    expect(lines.some((l) => l.includes('bad key ***'))).toBe(true);
  });

  it('sends nothing when disabled', async () => {
    const mail = new ScriptedChannel('mail');
    const report = await make([mail], { enabled: false }).notify(BackupEvents.BackupFailed, failed);
    expect(report).toEqual({ event: 'backup.failed', eventClass: 'failure', skipped: 'disabled', channels: [] });
    expect(mail.calls).toBe(0);
  });

  it('sends to the channels in parallel, not one after the other', async () => {
    const order: string[] = [];
    const slow = (name: string) =>
      new ScriptedChannel(name, async () => {
        order.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, 30));
        order.push(`end ${name}`);
      });
    await make([slow('mail'), slow('slack')], { routes: { failure: ['mail', 'slack'] } }).notify(BackupEvents.BackupFailed, failed);
    expect(order.slice(0, 2)).toEqual(['start mail', 'start slack']);
  });
});
