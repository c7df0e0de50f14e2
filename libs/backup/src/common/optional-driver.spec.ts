import { BackupError } from './backup.error';
import { optionalDriver, packageOf } from './optional-driver';

describe('optionalDriver', () => {
  it('names the package to install, scoped packages whole', () => {
    expect(packageOf('mysql2/promise')).toBe('mysql2');
    expect(packageOf('@aws-sdk/client-s3')).toBe('@aws-sdk/client-s3');
    expect(packageOf('nodemailer')).toBe('nodemailer');
  });

  it('turns a missing optional peer into an error that says what to install', () => {
    let caught: unknown;
    try {
      optionalDriver('@nest-backup-absent/sdk', 'An S3 disk');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(BackupError);
    expect((caught as BackupError).message).toContain('An S3 disk needs the "@nest-backup-absent/sdk" package');
    expect((caught as BackupError).hint).toBe('Install it in the app: npm install @nest-backup-absent/sdk');
  });
});
