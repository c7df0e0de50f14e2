import { EventEmitter2 } from '@nestjs/event-emitter';
import { MemoryDestination } from '../../../../test/catalog/memory.destination';
import { backupFileName } from '../catalog/backup-key';
import { BackupCatalog } from '../catalog/backup.catalog';
import { BackupModuleOptions } from '../config/backup-options.interface';
import { BackupEvents } from '../events/backup.events';
import { DestinationRegistry } from '../destinations/destination.registry';
import { planRetention } from '../retention/retention.plan';
import { RetentionConfigError } from '../retention/retention.error';
import { CleanupService } from './cleanup.service';

const NOW = new Date('2026-06-15T12:00:00Z');
const retention = {
  keepAllDays: 2,
  keepDailyDays: 5,
  keepWeeklyWeeks: 2,
  keepMonthlyMonths: 2,
  keepYearlyYears: 1,
  deleteOldestWhenUsingMoreMb: null,
  maxCount: null,
};

/** One backup a day at 02:00 for `days` days before NOW, plus an unrelated file. */
function seeded(name: string, days = 120): MemoryDestination {
  const dest = new MemoryDestination(name);
  for (let d = 0; d < days; d++) {
    const date = new Date(Date.UTC(2026, 5, 15, 2) - d * 86_400_000);
    dest.put(`app/${backupFileName(date)}`, 1000 + d);
  }
  return dest.put('app/keep-me.txt', 5);
}

function setup(dests: MemoryDestination[], extra: Partial<BackupModuleOptions> = {}) {
  const options = {
    appName: 'app',
    disks: dests.map((d) => d.name),
    archive: { filenamePrefix: '' },
    retention,
    destinations: dests,
    ...extra,
  } as unknown as BackupModuleOptions;
  const events = new EventEmitter2();
  const seen: Array<{ name: string; payload: any; meta: any }> = [];
  events.onAny((name, payload, meta) => seen.push({ name: String(name), payload, meta }));
  const service = new CleanupService(options, new BackupCatalog(options, new DestinationRegistry(options)), events);
  return { service, seen };
}

const backupsOf = (d: MemoryDestination) =>
  [...d.objects]
    .filter(([k]) => k.endsWith('.zip'))
    .map(([key, o]) => ({
      key,
      size: o.size,
      date: new Date(key.replace(/^app\/(\d{4})-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)\.zip$/, '$1-$2-$3T$4:$5:$6Z')),
    }));

describe('CleanupService', () => {
  it('deletes exactly what planRetention plans, with reasons, and leaves unrelated files', async () => {
    const dest = seeded('memory');
    const expected = planRetention(backupsOf(dest), NOW, retention);
    const { service, seen } = setup([dest]);
    const report = await service.clean({ now: NOW });

    expect(report.ok).toBe(true);
    const d = report.destinations[0];
    expect(d.deleted.map((x) => x.key).sort()).toEqual([...expected.delete].sort());
    expect(d.deleted.length).toBeGreaterThan(50);
    expect(d.deleted.every((x) => x.reason === expected.reasons[x.key])).toBe(true);
    expect([...dest.objects.keys()].sort()).toEqual([...expected.keep, 'app/keep-me.txt'].sort());
    expect(d.countAfter).toBe(expected.keep.length);
    const keptBytes = expected.keep.reduce((s, k) => s + dest.objects.get(k)!.size, 0);
    expect(d.usedBytesAfter).toBe(keptBytes);
    expect(seen).toEqual([
      {
        name: BackupEvents.CleanupSucceeded,
        payload: expect.objectContaining({
          appName: 'app',
          destination: 'memory',
          usedBytesAfter: keptBytes,
          deleted: d.deleted.map((x) => x.key),
        }),
        meta: { disableNotifications: false },
      },
    ]);
  });

  it('--dry-run deletes nothing, reports the same plan and emits no event', async () => {
    const dest = seeded('memory');
    const before = [...dest.objects.keys()];
    const expected = planRetention(backupsOf(dest), NOW, retention);
    const { service, seen } = setup([dest]);
    const report = await service.clean({ now: NOW, dryRun: true });
    expect(report.dryRun).toBe(true);
    expect(report.destinations[0].deleted.map((x) => x.key).sort()).toEqual([...expected.delete].sort());
    expect(dest.deleteCalls).toEqual([]);
    expect([...dest.objects.keys()]).toEqual(before);
    expect(seen).toEqual([]);
  });

  it('reports a failed delete, still deletes the others once each, and fails the run', async () => {
    const dest = seeded('memory');
    const expected = planRetention(backupsOf(dest), NOW, retention);
    const stuck = expected.delete[3];
    dest.failDeleteFor.add(stuck);
    const { service, seen } = setup([dest]);
    const report = await service.clean({ now: NOW, disableNotifications: true });

    expect(report.ok).toBe(false);
    const d = report.destinations[0];
    expect(d.failed).toEqual([expect.objectContaining({ key: stuck, error: expect.stringContaining('permission denied') })]);
    expect(d.deleted).toHaveLength(expected.delete.length - 1);
    expect(dest.deleteCalls.sort()).toEqual([...expected.delete].sort()); // each tried exactly once
    expect(dest.objects.has(stuck)).toBe(true);
    expect(d.countAfter).toBe(expected.keep.length + 1);
    expect(seen).toHaveLength(1);
    expect(seen[0].name).toBe(BackupEvents.CleanupFailed);
    expect(seen[0].payload.error).toContain(stuck);
    expect(seen[0].meta).toEqual({ disableNotifications: true });
  });

  it('goes on with the next disk when one cannot be listed', async () => {
    const broken = seeded('broken');
    broken.unreachable = 'bucket does not exist';
    const fine = seeded('fine');
    const { service, seen } = setup([broken, fine]);
    const report = await service.clean({ now: NOW });
    expect(report.ok).toBe(false);
    expect(report.destinations[0]).toMatchObject({
      destination: 'broken',
      ok: false,
      error: expect.stringContaining('bucket does not exist'),
    });
    expect(report.destinations[1]).toMatchObject({ destination: 'fine', ok: true });
    expect(report.destinations[1].deleted.length).toBeGreaterThan(0);
    expect(seen.map((e) => e.name)).toEqual([BackupEvents.CleanupFailed, BackupEvents.CleanupSucceeded]);
  });

  it('refuses a bad retention setting before touching any disk', async () => {
    const dest = seeded('memory', 10);
    const { service } = setup([dest], { retention: { ...retention, keepAllDays: -1 } } as never);
    await expect(service.clean({ now: NOW })).rejects.toThrow(RetentionConfigError);
    expect(dest.deleteCalls).toEqual([]);
  });

  it('plans over one folder only when given one (a tenant), leaving the full backups and other tenants alone', async () => {
    const dest = new MemoryDestination('memory');
    const day = (d: number) => new Date(Date.UTC(2026, 5, 15, 2) - d * 86_400_000);
    for (let d = 0; d < 3; d++) {
      dest.put(`app/${backupFileName(day(d))}`, 1000);
      dest.put(`app/tenants/3/${backupFileName(day(d))}`, 1000);
      dest.put(`app/tenants/4/${backupFileName(day(d))}`, 1000);
    }
    dest.put(`app/tenants/3/${backupFileName(day(5), 'pre-restore-')}`, 1000);
    const { service } = setup([dest], { retention: { ...retention, maxCount: 1 } } as never);
    const report = await service.clean({ now: NOW, folder: { folder: 'app/tenants/3' } });

    expect(report.destinations[0].deleted.map((x) => x.key)).toEqual([
      `app/tenants/3/${backupFileName(day(2))}`,
      `app/tenants/3/${backupFileName(day(1))}`,
    ]);
    const left = [...dest.objects.keys()];
    expect(left.filter((k) => k.startsWith('app/tenants/3/')).sort()).toEqual([
      `app/tenants/3/${backupFileName(day(0))}`,
      `app/tenants/3/${backupFileName(day(5), 'pre-restore-')}`,
    ]);
    expect(left.filter((k) => k.startsWith('app/tenants/4/'))).toHaveLength(3);
    expect(left.filter((k) => !k.includes('tenants'))).toHaveLength(3);
  });

  it('with BACKUP_MAX_COUNT=1 keeps the real backup, and neither counts nor deletes a future-dated or tiny stranger', async () => {
    const dest = new MemoryDestination('memory')
      .put('app/2026-06-15-02-00-00.zip', 5000)
      .put('app/2026-06-14-02-00-00.zip', 5000)
      .put('app/2099-01-01-00-00-00.zip', 3)
      .put('app/2026-06-13-02-00-00.zip', 24);
    const { service, seen } = setup([dest], { retention: { ...retention, maxCount: 1 } } as never);
    const report = await service.clean({ now: NOW });
    const d = report.destinations[0];
    expect(d.deleted.map((x) => x.key)).toEqual(['app/2026-06-14-02-00-00.zip']);
    expect(d).toMatchObject({ ok: true, countBefore: 2, countAfter: 1, usedBytesBefore: 10000, usedBytesAfter: 5000 });
    expect(d.leftAlone.map((x) => [x.key, x.kind])).toEqual([
      ['app/2099-01-01-00-00-00.zip', 'future-dated'],
      ['app/2026-06-13-02-00-00.zip', 'foreign'],
    ]);
    expect(dest.deleteCalls).toEqual(['app/2026-06-14-02-00-00.zip']);
    expect([...dest.objects.keys()].sort()).toEqual([
      'app/2026-06-13-02-00-00.zip',
      'app/2026-06-15-02-00-00.zip',
      'app/2099-01-01-00-00-00.zip',
    ]);
    expect(seen[0].payload.deleted).toEqual(['app/2026-06-14-02-00-00.zip']);
  });
});
