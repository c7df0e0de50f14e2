import { describeRedisUrl, queueSettingsFromEnv } from './queue.settings';

describe('queue settings from the environment', () => {
  it('is off without BACKUP_QUEUE_REDIS_URL, and has the documented defaults with it', () => {
    expect(queueSettingsFromEnv({})).toBeUndefined();
    expect(queueSettingsFromEnv({ BACKUP_QUEUE_REDIS_URL: ' ' })).toBeUndefined();
    expect(queueSettingsFromEnv({ BACKUP_QUEUE_REDIS_URL: 'redis://127.0.0.1:6379' })).toEqual({
      url: 'redis://127.0.0.1:6379',
      prefix: 'nest-backup',
      name: 'jobs',
      concurrency: 1,
      attempts: 3,
      backoffMs: 10_000,
      stalledIntervalMs: 30_000,
      lockDurationMs: 30_000,
    });
    expect(
      queueSettingsFromEnv({ BACKUP_QUEUE_REDIS_URL: 'rediss://h:6380/2', BACKUP_QUEUE_CONCURRENCY: '4', BACKUP_QUEUE_PREFIX: 'shop' }),
    ).toMatchObject({ concurrency: 4, prefix: 'shop' });
  });

  it('refuses malformed values with a hint, and never shows the password', () => {
    const secret = 'p4ss-w0rd-secret';
    expect(() => queueSettingsFromEnv({ BACKUP_QUEUE_REDIS_URL: `http://:${secret}@h` })).toThrow(/must start with redis:\/\/[\s\S]*→/);
    expect(() => queueSettingsFromEnv({ BACKUP_QUEUE_REDIS_URL: `:${secret}@h` })).toThrow(/is not a URL/);
    try {
      queueSettingsFromEnv({ BACKUP_QUEUE_REDIS_URL: `:${secret}@h` });
    } catch (err) {
      expect((err as Error).message).not.toContain(secret);
    }
    expect(() => queueSettingsFromEnv({ BACKUP_QUEUE_REDIS_URL: 'redis://h', BACKUP_QUEUE_CONCURRENCY: '0' })).toThrow(
      /BACKUP_QUEUE_CONCURRENCY must be a whole number from 1 to 64[\s\S]*default \(1\)/,
    );
    expect(() => queueSettingsFromEnv({ BACKUP_QUEUE_REDIS_URL: 'redis://h', BACKUP_QUEUE_PREFIX: 'a:b' })).toThrow(/BACKUP_QUEUE_PREFIX/);
    expect(describeRedisUrl(`redis://:${secret}@h:6379/0`)).toBe('redis://:***@h:6379/0');
    expect(describeRedisUrl(`redis://user:${secret}@h:6379`)).toBe('redis://user:***@h:6379');
  });
});
