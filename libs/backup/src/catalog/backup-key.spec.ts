import { backupDateFromKey, backupFileName, backupKey, isBackupKey } from './backup-key';

describe('backupDateFromKey', () => {
  it('reads the UTC stamp from the file name part of a key', () => {
    expect(backupDateFromKey('my-app/2016-01-01-22-00-05.zip')?.toISOString()).toBe('2016-01-01T22:00:05.000Z');
    expect(backupDateFromKey('my-app/nightly-2016-01-01-22-00-05.zip')?.toISOString()).toBe('2016-01-01T22:00:05.000Z');
    expect(backupDateFromKey('2016-01-01-22-00-05.zip')?.toISOString()).toBe('2016-01-01T22:00:05.000Z');
  });

  it('returns null for names without a stamp or with an impossible one', () => {
    expect(backupDateFromKey('my-app/notes.txt')).toBeNull();
    expect(backupDateFromKey('my-app/2016-01-01-22-00-05.zip.part')).toBeNull();
    expect(backupDateFromKey('my-app/2016-02-30-22-00-05.zip')).toBeNull();
    expect(backupDateFromKey('my-app/2016-01-01-24-00-00.zip')).toBeNull();
    expect(backupDateFromKey('2016-01-01-22-00-05.zip/readme')).toBeNull();
  });
});

describe('isBackupKey', () => {
  it('accepts only <backupName>/<prefix>YYYY-MM-DD-HH-mm-ss.zip', () => {
    expect(isBackupKey('my-app/2016-01-01-22-00-05.zip', 'my-app', '')).toBe(true);
    expect(isBackupKey('my-app/db-2016-01-01-22-00-05.zip', 'my-app', 'db-')).toBe(true);
    expect(isBackupKey('my-app/2016-01-01-22-00-05.zip', 'my-app/', '')).toBe(true);
  });

  it.each([
    ['my-app/2016-01-01-22-00-05.zip', 'my-app', 'db-'], // prefix missing
    ['my-app/other-2016-01-01-22-00-05.zip', 'my-app', ''], // someone else's naming
    ['my-app/sub/2016-01-01-22-00-05.zip', 'my-app', ''], // sub-folder
    ['my-app-2/2016-01-01-22-00-05.zip', 'my-app', ''], // a sibling backup name
    ['other/my-app/2016-01-01-22-00-05.zip', 'my-app', ''],
    ['my-app/2016-01-01-22-00-05.zip.tmp', 'my-app', ''], // an upload in progress
    ['my-app/2016-13-01-22-00-05.zip', 'my-app', ''], // no such month
    ['my-app/README.md', 'my-app', ''],
  ])('rejects %s for backup name %s, prefix %s', (key, name, prefix) => {
    expect(isBackupKey(key, name, prefix)).toBe(false);
  });
});

describe('backupFileName and backupKey', () => {
  it('write a key that the parser reads back to the same second, with and without a prefix', () => {
    const at = new Date('2026-02-28T23:59:07.640Z');
    for (const prefix of ['', 'clinic-']) {
      const key = backupKey('my-app', backupFileName(at, prefix));
      expect(key).toBe(`my-app/${prefix}2026-02-28-23-59-07.zip`);
      expect(backupDateFromKey(key)?.toISOString()).toBe('2026-02-28T23:59:07.000Z');
      expect(isBackupKey(key, 'my-app', prefix)).toBe(true);
    }
  });
});
