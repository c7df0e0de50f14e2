import { BACKUP_ENV_KEYS } from './env.config';
import { ENVIRONMENT_RULES, environmentProblems } from './backup.environment';

const PASSWORD = 'x'.repeat(32);

describe('environmentProblems', () => {
  it('checks an optional variable only when it is set', () => {
    expect(environmentProblems({ BACKUP_ARCHIVE_PASSWORD: PASSWORD }, ['local'])).toEqual({ problems: [], badFormat: new Set() });
    expect(environmentProblems({ BACKUP_ARCHIVE_PASSWORD: PASSWORD, BACKUP_TRIES: 'twice' }, ['local'])).toEqual({
      problems: ['BACKUP_TRIES must be a whole number of attempts from 1 to 99'],
      badFormat: new Set(['BACKUP_TRIES']),
    });
  });

  it('requires AWS_BUCKET with an s3 disk only, and ignores it otherwise even when invalid', () => {
    expect(environmentProblems({ BACKUP_ARCHIVE_PASSWORD: PASSWORD, AWS_BUCKET: 'x' }, ['local']).problems).toEqual([]);
    const s3 = 'AWS_BUCKET must be set (3 characters or more) when BACKUP_DISKS includes s3';
    expect(environmentProblems({ BACKUP_ARCHIVE_PASSWORD: PASSWORD }, ['local', 's3']).problems).toEqual([s3]);
    expect(environmentProblems({ BACKUP_ARCHIVE_PASSWORD: PASSWORD, AWS_BUCKET: 'x' }, ['s3']).problems).toEqual([s3]);
    expect(environmentProblems({ BACKUP_ARCHIVE_PASSWORD: PASSWORD, AWS_BUCKET: 'abc' }, ['s3']).problems).toEqual([]);
  });

  it('requires the password unless encryption is off, and then ignores it', () => {
    expect(environmentProblems({}, ['local']).problems).toEqual([expect.stringMatching(/^BACKUP_ARCHIVE_PASSWORD is not set/)]);
    expect(environmentProblems({ BACKUP_ARCHIVE_PASSWORD: 'short' }, ['local']).problems).toEqual([
      'BACKUP_ARCHIVE_PASSWORD is too short (5 characters): use at least 32 characters',
    ]);
    expect(environmentProblems({ BACKUP_ENCRYPTION: 'none', BACKUP_ARCHIVE_PASSWORD: 'short' }, ['local']).problems).toEqual([]);
  });

  it("counts a password's characters as before (a surrogate pair is one), while the message gives its UTF-16 length", () => {
    expect(environmentProblems({ BACKUP_ARCHIVE_PASSWORD: '🔑'.repeat(32) }, ['local']).problems).toEqual([]);
    expect(environmentProblems({ BACKUP_ARCHIVE_PASSWORD: '🔑'.repeat(31) }, ['local']).problems).toEqual([
      'BACKUP_ARCHIVE_PASSWORD is too short (62 characters): use at least 32 characters',
    ]);
  });

  it("reports the problems in the order of the table, with the cron parser's reason", () => {
    const r = environmentProblems(
      { BACKUP_ARCHIVE_PASSWORD: PASSWORD, BACKUP_TIMEZONE: 'Mars/Base', BACKUP_SCHEDULE_RUN: '61 * * * *', BACKUP_NAME: '..' },
      ['local'],
    );
    expect(r.problems).toEqual([
      expect.stringMatching(/^BACKUP_NAME must use only letters/),
      expect.stringMatching(
        /^BACKUP_SCHEDULE_RUN must be a cron expression such as "0 2 \* \* \*" \(minute hour day month weekday\) or "off" \(got "61 \* \* \* \*": .+\)$/,
      ),
      'BACKUP_TIMEZONE must be an IANA time zone such as "UTC" or "Europe/Berlin" (got "Mars/Base")',
    ]);
    expect(
      environmentProblems({ BACKUP_ARCHIVE_PASSWORD: PASSWORD, BACKUP_SCHEDULE_RUN: 'off', BACKUP_TIMEZONE: 'Europe/Berlin' }, ['local'])
        .problems,
    ).toEqual([]);
  });

  it('has one rule per variable, each one backupOptionsFromEnv reads', () => {
    const names = ENVIRONMENT_RULES.map((r) => r.variable);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => !(BACKUP_ENV_KEYS as readonly string[]).includes(n))).toEqual([]);
  });
});
