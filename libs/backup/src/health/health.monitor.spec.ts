import { ModuleRef } from '@nestjs/core';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { MemoryDestination } from '../../../../test/catalog/memory.destination';
import { BackupCatalog } from '../catalog/backup.catalog';
import { BackupModuleOptions } from '../config/backup-options.interface';
import { BackupEvents } from '../events/backup.events';
import { DestinationRegistry } from '../destinations/destination.registry';
import { HealthCheck } from './health-check.interface';
import { BACKUP_HEALTH_CHECKS } from './health.constants';
import { HealthCheckConfigError } from './health.errors';
import { HealthMonitor } from './health.monitor';

const NOW = new Date('2026-06-15T12:00:00Z');
const MIB = 1024 * 1024;

function setup(dests: MemoryDestination[], extra: Record<string, unknown> = {}, provided?: unknown) {
  const options = {
    appName: 'app',
    disks: dests.map((d) => d.name),
    archive: { filenamePrefix: '' },
    monitor: { disks: dests.map((d) => d.name), maxAgeDays: 1, maxStorageMb: 1 },
    destinations: dests,
    ...extra,
  } as unknown as BackupModuleOptions;
  const moduleRef = {
    get: (token: unknown) => {
      if (token === BACKUP_HEALTH_CHECKS && provided) return provided;
      throw new Error('not found');
    },
  } as unknown as ModuleRef;
  const events = new EventEmitter2();
  const seen: Array<{ name: string; payload: any; meta: any }> = [];
  events.onAny((name, payload, meta) => seen.push({ name: String(name), payload, meta }));
  const monitor = new HealthMonitor(options, new BackupCatalog(options, new DestinationRegistry(options)), moduleRef, events);
  return { monitor, seen };
}

describe('HealthMonitor', () => {
  it('finds a fresh, small set of backups healthy and emits the healthy event', async () => {
    const dest = new MemoryDestination('local').put('app/2026-06-15-02-00-00.zip', 1000).put('app/2026-06-14-02-00-00.zip', 1000);
    const { monitor, seen } = setup([dest]);
    const report = await monitor.monitor({ now: NOW });
    expect(report.healthy).toBe(true);
    expect(report.destinations[0]).toMatchObject({
      destination: 'local',
      reachable: true,
      healthy: true,
      count: 2,
      usedBytes: 2000,
      failures: [],
    });
    expect(seen).toEqual([
      {
        name: BackupEvents.HealthyBackupFound,
        payload: expect.objectContaining({
          appName: 'app',
          destination: 'local',
          newestBackup: 'app/2026-06-15-02-00-00.zip',
          newestBackupAt: '2026-06-15T02:00:00.000Z',
        }),
        meta: { disableNotifications: false },
      },
    ]);
  });

  it('collects every failure: too old and over the storage cap, with age and size in the messages', async () => {
    const dest = new MemoryDestination('local').put('app/2026-06-12-00-00-00.zip', 2 * MIB);
    const { monitor, seen } = setup([dest]);
    const report = await monitor.monitor({ now: NOW, disableNotifications: true });
    expect(report.healthy).toBe(false);
    const failures = report.destinations[0].failures;
    expect(failures.map((f) => f.check)).toEqual(['max-age', 'max-storage']);
    expect(failures[0].message).toContain('app/2026-06-12-00-00-00.zip');
    expect(failures[0].message).toContain('3.50 days (3 days ago)');
    expect(failures[0].message).toContain('BACKUP_MAX_AGE_DAYS');
    expect(failures[1].message).toContain('2 MB');
    expect(failures[1].message).toContain('BACKUP_MAX_STORAGE_MB=1');
    expect(seen[0]).toMatchObject({ name: BackupEvents.UnhealthyBackupFound, payload: { failures }, meta: { disableNotifications: true } });
  });

  it('a backup exactly BACKUP_MAX_AGE_DAYS old is already too old; one a second younger is not', async () => {
    const exactly = new MemoryDestination('a').put('app/2026-06-14-12-00-00.zip', 1000);
    const younger = new MemoryDestination('b').put('app/2026-06-14-12-00-01.zip', 1000);
    const report = await setup([exactly, younger]).monitor.evaluate({ now: NOW });
    expect(report.destinations.map((d) => d.healthy)).toEqual([false, true]);
  });

  it('no backups at all is unhealthy; unrelated files do not count as backups', async () => {
    const dest = new MemoryDestination('local').put('app/manual-copy.zip', 10);
    const report = await setup([dest]).monitor.evaluate({ now: NOW });
    expect(report.destinations[0].failures).toEqual([{ check: 'max-age', message: 'There are no backups on local at all.' }]);
  });

  it('an unreachable disk is unhealthy with the reason, and the other checks are skipped', async () => {
    const dest = new MemoryDestination('s3');
    dest.unreachable = 'connect ECONNREFUSED 127.0.0.1:1';
    const hostCheck: HealthCheck = { name: 'host', check: jest.fn(async () => 'should not run') };
    const { monitor } = setup([dest], { healthChecks: [hostCheck] });
    const d = (await monitor.evaluate({ now: NOW })).destinations[0];
    expect(d).toMatchObject({ reachable: false, healthy: false, skipped: ['max-age', 'max-storage', 'future-dated', 'host'] });
    expect(d.failures).toHaveLength(1);
    expect(d.failures[0].check).toBe('reachable');
    expect(d.failures[0].message).toContain('ECONNREFUSED');
    expect(hostCheck.check).not.toHaveBeenCalled();
  });

  it('runs host checks from the options and from the BACKUP_HEALTH_CHECKS provider beside the built-ins', async () => {
    const dest = new MemoryDestination('local').put('app/2026-06-10-00-00-00.zip', 1000);
    const fromOptions: HealthCheck = { name: 'restore-drill', check: async ({ backups }) => `no drill for ${backups.length} backup(s)` };
    const fromProvider: HealthCheck = {
      name: 'offsite',
      check: async () => {
        throw new Error('offsite API down');
      },
    };
    const quiet: HealthCheck = { name: 'quiet', check: async () => undefined };
    const { monitor } = setup([dest], { healthChecks: [fromOptions] }, [fromProvider, quiet]);
    const failures = (await monitor.evaluate({ now: NOW })).destinations[0].failures;
    expect(failures).toEqual([
      expect.objectContaining({ check: 'max-age' }),
      { check: 'restore-drill', message: 'no drill for 1 backup(s)' },
      { check: 'offsite', message: 'the check itself failed: offsite API down' },
    ]);
  });

  it('rejects a host check that is not a HealthCheck with a clear error', async () => {
    const dest = new MemoryDestination('local').put('app/2026-06-15-00-00-00.zip', 1000);
    const { monitor } = setup([dest], {}, [{ check: async () => null }]);
    await expect(monitor.evaluate({ now: NOW })).rejects.toThrow(HealthCheckConfigError);
  });

  it('checks the monitored disks by default and lists backup disks plus monitored ones', async () => {
    const a = new MemoryDestination('a').put('app/2026-06-15-00-00-00.zip', 1000);
    const b = new MemoryDestination('b').put('app/2026-06-15-00-00-00.zip', 1000);
    const { monitor } = setup([a, b], { disks: ['a'], monitor: { disks: ['b'], maxAgeDays: 1, maxStorageMb: 1 } });
    expect((await monitor.evaluate({ now: NOW })).destinations.map((d) => d.destination)).toEqual(['b']);
    expect(monitor.listedDisks()).toEqual(['a', 'b']);
  });

  it('a future-dated object is never the newest and makes the disk unhealthy, naming it; a tiny one is only listed', async () => {
    const dest = new MemoryDestination('local')
      .put('app/2026-06-15-02-00-00.zip', 1000)
      .put('app/2099-01-01-00-00-00.zip', 3)
      .put('app/2026-06-15-03-00-00.zip', 24);
    const { monitor, seen } = setup([dest]);
    const report = await monitor.monitor({ now: NOW });
    const d = report.destinations[0];
    expect(d).toMatchObject({ healthy: false, count: 1, usedBytes: 1000, newest: { key: 'app/2026-06-15-02-00-00.zip' } });
    expect(d.failures).toEqual([
      {
        check: 'future-dated',
        message: expect.stringContaining(
          '1 object(s) on local dated in the future: app/2099-01-01-00-00-00.zip (3 bytes, named for 2099-01-01T00:00:00.000Z',
        ),
      },
    ]);
    expect(d.failures[0].message).toContain("not written by this app's clock");
    expect(d.strangers.map((x) => x.kind)).toEqual(['future-dated', 'foreign']);
    expect(seen[0]).toMatchObject({ name: BackupEvents.UnhealthyBackupFound, payload: { newestBackup: 'app/2026-06-15-02-00-00.zip' } });

    const tinyOnly = new MemoryDestination('local').put('app/2026-06-15-02-00-00.zip', 1000).put('app/2026-06-15-03-00-00.zip', 24);
    const healthy = (await setup([tinyOnly]).monitor.evaluate({ now: NOW })).destinations[0];
    expect(healthy).toMatchObject({ healthy: true, count: 1, newest: { key: 'app/2026-06-15-02-00-00.zip' } });
    expect(healthy.strangers.map((x) => [x.key, x.kind])).toEqual([['app/2026-06-15-03-00-00.zip', 'foreign']]);
  });
});
