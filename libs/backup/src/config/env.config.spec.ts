import { BackupConfigError } from './backup-config.error';
import { backupOptionsFromEnv } from './env.config';
import { describeRange, NUMERIC_RANGES } from './numeric.ranges';

const PASSWORD = 'x'.repeat(32);

describe('backupOptionsFromEnv', () => {
  it('applies the documented defaults', () => {
    const o = backupOptionsFromEnv({ APP_NAME: 'My App', BACKUP_ARCHIVE_PASSWORD: PASSWORD }, { cwd: '/srv/app' });
    expect(o.appName).toBe('My-App');
    expect(o.disks).toEqual(['local']);
    expect(o.local?.root).toBe('/srv/app/storage/backups');
    expect(o.archive).toEqual({ encryption: 'aes256', password: PASSWORD, compressionLevel: 6, filenamePrefix: '' });
    expect(o.databases).toEqual(['default']);
    expect(o.retention).toMatchObject({
      keepAllDays: 7,
      keepDailyDays: 30,
      keepWeeklyWeeks: 12,
      keepMonthlyMonths: 12,
      keepYearlyYears: 7,
    });
    expect(o.monitor).toEqual({ disks: ['local'], maxAgeDays: 1, maxStorageMb: 10240 });
  });

  it('reads BACKUP_RESTORE_LOCK_WAIT_SECONDS (default 30) and refuses values outside 1-86400', () => {
    expect(backupOptionsFromEnv({ BACKUP_ARCHIVE_PASSWORD: PASSWORD }).restore).toEqual({ lockWaitSeconds: 30, jobs: 1 });
    expect(backupOptionsFromEnv({ BACKUP_ARCHIVE_PASSWORD: PASSWORD, BACKUP_RESTORE_LOCK_WAIT_SECONDS: '86400' }).restore).toEqual({
      lockWaitSeconds: 86400,
      jobs: 1,
    });
    for (const bad of ['0', '86401', '-5', '1.5', 'soon']) {
      expect(() => backupOptionsFromEnv({ BACKUP_ARCHIVE_PASSWORD: PASSWORD, BACKUP_RESTORE_LOCK_WAIT_SECONDS: bad })).toThrow(
        /BACKUP_RESTORE_LOCK_WAIT_SECONDS must be a whole number of seconds from 1 to 86400/,
      );
    }
  });

  it('reads BACKUP_ARCHIVE_THREADS: auto (the default) leaves the choice to the writer, 0 keeps the work on the main thread', () => {
    const threads = (value?: string) =>
      backupOptionsFromEnv({ BACKUP_ARCHIVE_PASSWORD: PASSWORD, BACKUP_ARCHIVE_THREADS: value }).archive.threads;
    expect(threads()).toBeUndefined();
    expect(threads('auto')).toBeUndefined();
    expect(threads('0')).toBe(0);
    expect(threads('16')).toBe(16);
    for (const bad of ['17', '-1', '1.5', 'many']) {
      expect(() => threads(bad)).toThrow(
        /BACKUP_ARCHIVE_THREADS must be auto or a whole number from 0 \(none: the main thread encodes\) to 16/,
      );
    }
  });

  it('refuses to start without a password unless encryption is explicitly off', () => {
    expect(() => backupOptionsFromEnv({})).toThrow(/BACKUP_ARCHIVE_PASSWORD is not set/);
    expect(backupOptionsFromEnv({ BACKUP_ENCRYPTION: 'none' }).archive.password).toBeUndefined();
  });

  it('refuses a password under 32 characters without echoing it', () => {
    try {
      backupOptionsFromEnv({ BACKUP_ARCHIVE_PASSWORD: 'short-secret-value' });
      throw new Error('expected a BackupConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(BackupConfigError);
      expect(e.message).toMatch(/too short \(18 characters\)/);
      expect(e.message).not.toContain('short-secret-value');
    }
  });

  it('reports every bad variable in one error', () => {
    try {
      backupOptionsFromEnv({
        BACKUP_DISKS: 's3',
        BACKUP_ENCRYPTION: 'rot13',
        BACKUP_COMPRESSION_LEVEL: '11',
        AWS_ENDPOINT: 'not a url',
        BACKUP_MAX_AGE_DAYS: 'soon',
      });
      throw new Error('expected a BackupConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(BackupConfigError);
      const text = (e as BackupConfigError).problems.join('\n');
      for (const name of ['BACKUP_ENCRYPTION', 'BACKUP_COMPRESSION_LEVEL', 'AWS_BUCKET', 'AWS_ENDPOINT', 'BACKUP_MAX_AGE_DAYS']) {
        expect(text).toContain(name);
      }
    }
  });

  it('reads S3 settings and BACKUP_DISK as the single-disk spelling', () => {
    const o = backupOptionsFromEnv({
      BACKUP_DISK: 's3',
      BACKUP_ARCHIVE_PASSWORD: PASSWORD,
      AWS_BUCKET: 'backups',
      AWS_ENDPOINT: 'http://127.0.0.1:9000',
      AWS_USE_PATH_STYLE_ENDPOINT: 'true',
      AWS_ACCESS_KEY_ID: 'AK',
      AWS_SECRET_ACCESS_KEY: 'SK',
    });
    expect(o.disks).toEqual(['s3']);
    expect(o.s3).toMatchObject({ bucket: 'backups', region: 'us-east-1', forcePathStyle: true, checksumMode: 'WHEN_REQUIRED' });
  });

  it('treats empty values as unset and BACKUP_DATABASES=none as no databases', () => {
    const o = backupOptionsFromEnv({ BACKUP_ENCRYPTION: 'none', AWS_ENDPOINT: '', BACKUP_DATABASES: 'none' });
    expect(o.databases).toEqual([]);
  });
});

describe('numeric variables', () => {
  const base = { BACKUP_ARCHIVE_PASSWORD: PASSWORD };
  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      backupOptionsFromEnv({ ...base, ...env });
      return [];
    } catch (e) {
      if (!(e instanceof BackupConfigError)) throw e;
      return e.problems;
    }
  };

  it("refuses a timeout past Node's timer limit, naming the variable, the value and the range", () => {
    expect(problemsOf({ BACKUP_TIMEOUT: '2147484' })).toEqual([
      'BACKUP_TIMEOUT=2147484 is out of range: use a value from 1 to 2147483 seconds',
    ]);
    expect(backupOptionsFromEnv({ ...base, BACKUP_TIMEOUT: '2147483' }).attempts?.timeoutMs).toBe(2147483000);
    expect(problemsOf({ BACKUP_RETRY_DELAY: '2147484' })).toEqual([
      'BACKUP_RETRY_DELAY=2147484 is out of range: use a value from 0 to 2147483 seconds',
    ]);
  });

  it('refuses day counts that would take dates out of range', () => {
    expect(problemsOf({ BACKUP_KEEP_ALL_DAYS: '99999999999999999999' })).toEqual([
      'BACKUP_KEEP_ALL_DAYS=99999999999999999999 is out of range: use a value from 0 to 36500 days',
    ]);
    expect(problemsOf({ BACKUP_KEEP_YEARLY_YEARS: '101', BACKUP_MAX_AGE_DAYS: '36501' })).toEqual([
      'BACKUP_KEEP_YEARLY_YEARS=101 is out of range: use a value from 0 to 100 years',
      'BACKUP_MAX_AGE_DAYS=36501 is out of range: use a value from 0 to 36500 days',
    ]);
  });

  it('checks every numeric variable against the table, accepts its bounds and "off", and reports a bad format once', () => {
    for (const [name, range] of Object.entries(NUMERIC_RANGES)) {
      expect(problemsOf({ [name]: String(range.max) })).toEqual([]);
      expect(problemsOf({ [name]: String(range.min) })).toEqual([]);
      expect(problemsOf({ [name]: String(range.max + 1) })).toEqual([
        `${name}=${range.max + 1} is out of range: use a value ${describeRange(range)}`,
      ]);
    }
    expect(problemsOf({ BACKUP_TIMEOUT: 'off', BACKUP_MAX_COUNT: 'off' })).toEqual([]);
    expect(problemsOf({ BACKUP_TIMEOUT: 'soon' })).toEqual(['BACKUP_TIMEOUT must be a positive whole number of seconds or "off"']);
  });
});

describe('BACKUP_NAME', () => {
  it('refuses "." and ".." (the folder above the backups) and "/"', () => {
    for (const name of ['.', '..', 'a/b']) {
      expect(() => backupOptionsFromEnv({ BACKUP_ENCRYPTION: 'none', BACKUP_NAME: name })).toThrow(
        /BACKUP_NAME must use only letters.*not be "\." or "\.\."/,
      );
    }
    expect(backupOptionsFromEnv({ BACKUP_ENCRYPTION: 'none', BACKUP_NAME: '.hidden..app' }).appName).toBe('.hidden..app');
    expect(backupOptionsFromEnv({ BACKUP_ENCRYPTION: 'none', APP_NAME: '..' }).appName).toBe('app');
  });
});
