import { MemoryDestination } from '../../../../test/catalog/memory.destination';
import { BackupModuleOptions } from '../config/backup-options.interface';
import { DestinationRegistry } from '../destinations/destination.registry';
import { BackupCatalog } from './backup.catalog';
import { MIN_BACKUP_BYTES } from './object.classifier';

const options = (prefix = '') =>
  ({ appName: 'app', disks: ['memory'], archive: { filenamePrefix: prefix } }) as unknown as BackupModuleOptions;

function catalogWith(dest: MemoryDestination, prefix = ''): BackupCatalog {
  const opts = { ...options(prefix), destinations: [dest] } as BackupModuleOptions;
  return new BackupCatalog(opts, new DestinationRegistry(opts));
}

describe('BackupCatalog', () => {
  it('lists only this app’s archives, newest first, dated by name (not by last-modified)', async () => {
    const dest = new MemoryDestination()
      .put('app/2024-01-01-00-00-00.zip', 1010, new Date('2030-01-01'))
      .put('app/2025-06-01-12-00-00.zip', 1020)
      .put('app/2023-12-31-23-59-59.zip', 1030)
      .put('app/notes.txt', 1000)
      .put('app/2024-02-30-00-00-00.zip', 1000) // impossible date
      .put('app/sub/2024-01-02-00-00-00.zip', 1000)
      .put('other/2024-01-03-00-00-00.zip', 1000)
      .put('app/2024-01-04-00-00-00.zip.bak', 1000);
    const list = await catalogWith(dest).list('memory');
    expect(list.map((b) => b.key)).toEqual(['app/2025-06-01-12-00-00.zip', 'app/2024-01-01-00-00-00.zip', 'app/2023-12-31-23-59-59.zip']);
    expect(list[1].date.toISOString()).toBe('2024-01-01T00:00:00.000Z');
    expect(list.map((b) => b.size)).toEqual([1020, 1010, 1030]);
  });

  it('honours the archive file name prefix', async () => {
    const dest = new MemoryDestination().put('app/db-2024-01-01-00-00-00.zip', 500).put('app/2024-01-02-00-00-00.zip', 700);
    const list = await catalogWith(dest, 'db-').list(dest);
    expect(list.map((b) => b.key)).toEqual(['app/db-2024-01-01-00-00-00.zip']);
  });

  it('lists the dated archives of another folder (a tenant), never the app folder, sub-folders or safety exports', async () => {
    const dest = new MemoryDestination()
      .put('app/2024-01-01-00-00-00.zip', 1001)
      .put('app/tenants/3/2024-01-02-00-00-00.zip', 1002)
      .put('app/tenants/3/2024-01-03-00-00-00.zip', 1003)
      .put('app/tenants/3/pre-restore-2024-01-04-00-00-00.zip', 1004)
      .put('app/tenants/3/old/2024-01-05-00-00-00.zip', 1005)
      .put('app/tenants/30/2024-01-06-00-00-00.zip', 1006);
    const catalog = catalogWith(dest, 'db-');
    expect((await catalog.list(dest, { folder: 'app/tenants/3/' })).map((b) => b.key)).toEqual([
      'app/tenants/3/2024-01-03-00-00-00.zip',
      'app/tenants/3/2024-01-02-00-00-00.zip',
    ]);
    // The full backups' listing never includes a tenant folder.
    expect((await catalogWith(dest).list(dest)).map((b) => b.key)).toEqual(['app/2024-01-01-00-00-00.zip']);
  });

  it('summarises count, newest and used bytes of the backups only', async () => {
    const dest = new MemoryDestination()
      .put('app/2024-01-01-00-00-00.zip', 1024)
      .put('app/2024-01-02-00-00-00.zip', 2048)
      .put('app/readme.md', 999_999);
    const s = await catalogWith(dest).summary('memory');
    expect(s).toMatchObject({ destination: 'memory', reachable: true, count: 2, usedBytes: 3072 });
    expect(s.newest?.key).toBe('app/2024-01-02-00-00-00.zip');
    expect(s.error).toBeUndefined();
  });

  it('reports an unreachable destination with the reason instead of throwing', async () => {
    const dest = new MemoryDestination().put('app/2024-01-01-00-00-00.zip', 1001);
    dest.unreachable = 'connect ECONNREFUSED 127.0.0.1:9';
    const s = await catalogWith(dest).summary('memory');
    expect(s).toMatchObject({ reachable: false, count: 0, newest: null, usedBytes: 0 });
    expect(s.error).toContain('ECONNREFUSED');
  });

  it('reports an unknown disk as unreachable, naming it', async () => {
    const s = await catalogWith(new MemoryDestination()).summary('ftp');
    expect(s.reachable).toBe(false);
    expect(s.error).toContain('Unknown disk "ftp"');
  });

  describe('strangers: dated names that cannot be backups', () => {
    const now = new Date('2026-11-30T12:00:00Z');

    it('sets aside a future-dated object (whatever its size) and one smaller than the smallest archive', async () => {
      const dest = new MemoryDestination()
        .put('app/2026-11-30-02-00-00.zip', 5000)
        .put('app/2099-01-01-00-00-00.zip', 3)
        .put('app/2026-12-01-00-00-00.zip', 900_000)
        .put('app/2026-11-29-02-00-00.zip', 24);
      const { backups, strangers } = await catalogWith(dest).survey(dest, undefined, now);
      expect(backups.map((b) => b.key)).toEqual(['app/2026-11-30-02-00-00.zip']);
      expect(strangers.map((s) => [s.key, s.kind])).toEqual([
        ['app/2099-01-01-00-00-00.zip', 'future-dated'],
        ['app/2026-12-01-00-00-00.zip', 'future-dated'],
        ['app/2026-11-29-02-00-00.zip', 'foreign'],
      ]);
      expect(strangers[0].reason).toBe(
        "named for 2099-01-01T00:00:00.000Z, more than 5 minutes after now (2026-11-30T12:00:00.000Z), too small to be a backup: not written by this app's clock",
      );
      expect(strangers[2].reason).toBe('24 bytes, smaller than the smallest possible backup (124 bytes): not an archive of this app');
      expect(await catalogWith(dest).list(dest, undefined, now)).toEqual(backups);
    });

    it('allows 5 minutes of clock skew and counts an object of exactly the smallest archive size', async () => {
      const dest = new MemoryDestination()
        .put('app/2026-11-30-12-05-00.zip', 1000) // exactly now + 5 min
        .put('app/2026-11-30-12-05-01.zip', 1000)
        .put('app/2026-11-30-01-00-00.zip', MIN_BACKUP_BYTES)
        .put('app/2026-11-30-00-00-00.zip', MIN_BACKUP_BYTES - 1);
      const { backups, strangers } = await catalogWith(dest).survey(dest, undefined, now);
      expect(MIN_BACKUP_BYTES).toBe(124);
      expect(backups.map((b) => b.key)).toEqual(['app/2026-11-30-12-05-00.zip', 'app/2026-11-30-01-00-00.zip']);
      expect(strangers.map((s) => [s.key, s.kind])).toEqual([
        ['app/2026-11-30-12-05-01.zip', 'future-dated'],
        ['app/2026-11-30-00-00-00.zip', 'foreign'],
      ]);
    });

    it('summary: strangers are neither counted, summed nor the newest', async () => {
      const dest = new MemoryDestination().put('app/2020-01-01-00-00-00.zip', 2048).put('app/2099-01-01-00-00-00.zip', 3);
      const s = await catalogWith(dest).summary('memory');
      expect(s).toMatchObject({ count: 1, usedBytes: 2048 });
      expect(s.newest?.key).toBe('app/2020-01-01-00-00-00.zip');
      expect(s.strangers.map((x) => x.key)).toEqual(['app/2099-01-01-00-00-00.zip']);
    });
  });
});
