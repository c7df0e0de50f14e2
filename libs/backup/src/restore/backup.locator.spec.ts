import { Readable } from 'node:stream';
import { BackupDestination, StoredObject } from '../destinations/destination.interface';
import { BackupLocator } from './backup.locator';
import { BackupNotFoundError, RestoreRequestError } from './restore.errors';

/** A destination that only lists and stats a fixed set of keys. */
function listing(keys: string[], sizes: Record<string, number> = {}): BackupDestination {
  const objects: StoredObject[] = keys.map((key) => ({ key, size: sizes[key] ?? 1000, lastModified: new Date(0) }));
  return {
    name: 'fake',
    describe: () => 'fake',
    openUpload: () => Promise.reject(new Error('no')),
    list: async function* (prefix: string) {
      yield* objects.filter((o) => o.key.startsWith(prefix));
    },
    stat: async (key) => objects.find((o) => o.key === key) ?? null,
    read: async () => Readable.from([]),
    delete: async () => undefined,
    checkReachable: async () => undefined,
  };
}

describe('BackupLocator', () => {
  const disk = listing([
    'app/2026-01-02-00-00-00.zip',
    'app/2026-01-03-00-00-00.zip',
    'app/pre-restore-2026-01-04-00-00-00.zip',
    'app/notes.txt',
    'app/sub/2026-01-05-00-00-00.zip',
    'other/2026-01-06-00-00-00.zip',
  ]);
  const locator = new BackupLocator('app');

  it('accepts a file name, a name without .zip, or a full key', async () => {
    expect((await locator.find(disk, '2026-01-02-00-00-00.zip')).key).toBe('app/2026-01-02-00-00-00.zip');
    expect((await locator.find(disk, '2026-01-02-00-00-00')).key).toBe('app/2026-01-02-00-00-00.zip');
    expect((await locator.find(disk, 'app/pre-restore-2026-01-04-00-00-00.zip')).key).toBe('app/pre-restore-2026-01-04-00-00-00.zip');
    expect((await locator.find(disk, 'other/2026-01-06-00-00-00.zip')).key).toBe('other/2026-01-06-00-00-00.zip');
  });

  it('latest is the newest of our own archives only (no safety backups, sub-folders or strangers)', async () => {
    expect((await locator.latest(disk)).key).toBe('app/2026-01-03-00-00-00.zip');
  });

  it('latest skips strangers: a name dated in the future, or smaller than the smallest archive', async () => {
    const planted = listing(
      ['app/2026-01-02-00-00-00.zip', 'app/2099-01-01-00-00-00.zip', 'app/2026-01-05-00-00-00.zip', 'app/2098-01-01-00-00-00.zip'],
      { 'app/2099-01-01-00-00-00.zip': 3, 'app/2026-01-05-00-00-00.zip': 3 },
    );
    expect((await locator.latest(planted, new Date('2026-02-01T00:00:00Z'))).key).toBe('app/2026-01-02-00-00-00.zip');
  });

  it('an unknown name lists the newest that exist', async () => {
    const err = await locator.find(disk, '2030-01-01-00-00-00.zip').catch((e) => e);
    expect(err).toBeInstanceOf(BackupNotFoundError);
    expect(err.message).toContain('2026-01-03-00-00-00.zip, 2026-01-02-00-00-00.zip');
  });

  it('refuses a name together with --latest, and neither', async () => {
    await expect(locator.resolve(disk, { name: 'x', latest: true })).rejects.toBeInstanceOf(RestoreRequestError);
    await expect(locator.resolve(disk, {})).rejects.toBeInstanceOf(RestoreRequestError);
  });

  it('an empty disk says so', async () => {
    await expect(locator.latest(listing([]))).rejects.toThrow(/holds no backups/);
  });
});
