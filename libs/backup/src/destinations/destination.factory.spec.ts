import { BackupError } from '../common/backup.error';
import { createDestination, DestinationConfig } from './destination.factory';
import { LocalDestination } from './local.destination';
import { S3Destination } from './s3.destination';

describe('createDestination', () => {
  it('builds the built-in kinds with their default names', () => {
    const local = createDestination({ kind: 'local', root: '/tmp/x' });
    const s3 = createDestination({ kind: 's3', bucket: 'backups', endpoint: 'http://127.0.0.1:9', forcePathStyle: true });
    expect(local).toBeInstanceOf(LocalDestination);
    expect(local.name).toBe('local');
    expect(s3).toBeInstanceOf(S3Destination);
    expect(s3.name).toBe('s3');
    expect(s3.describe()).toBe('s3://backups/ (http://127.0.0.1:9)');
    (s3 as S3Destination).client.destroy();
  });

  it('refuses an unknown kind with a clear error', () => {
    expect(() => createDestination({ kind: 'ftp' } as unknown as DestinationConfig)).toThrow(BackupError);
    expect(() => createDestination({ kind: 'ftp' } as unknown as DestinationConfig)).toThrow('unknown destination kind "ftp"');
  });

  it('documents the largest archive at the default part size and grows it with a size hint', () => {
    const s3 = new S3Destination({ bucket: 'backups', region: 'eu-west-1' });
    // 5 MiB for parts 1-2,000, then 10, 20, 40 and 80 MiB per 2,000 parts: 62,000 × 5 MiB.
    expect(s3.maxUploadBytes()).toBe(5 * 1024 * 1024 * 62_000);
    const hint = 500 * 1024 ** 3; // 500 GiB
    expect(s3.maxUploadBytes(hint)).toBeGreaterThanOrEqual(hint);
    expect(() => new S3Destination({ bucket: 'b', partSizeMb: 4 })).toThrow('too small');
    s3.client.destroy();
  });
});
