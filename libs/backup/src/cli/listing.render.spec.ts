import { renderCleanup } from './clean.command';
import { listingJson, renderListing } from './list.command';
import { renderMonitor } from './monitor.command';
import { HealthReport } from '../health/health.types';

const NOW = new Date('2026-06-15T12:00:00Z');
const report: HealthReport = {
  healthy: false,
  checkedAt: NOW.toISOString(),
  destinations: [
    {
      destination: 'local',
      description: 'local disk /b',
      reachable: true,
      count: 3,
      usedBytes: 1536,
      newest: { key: 'app/2026-06-14-11-00-00.zip', date: new Date('2026-06-14T11:00:00Z'), size: 512 },
      healthy: true,
      failures: [],
      skipped: [],
      strangers: [],
    },
    {
      destination: 's3',
      description: 's3://b/',
      reachable: false,
      error: 'ECONNREFUSED',
      count: 0,
      usedBytes: 0,
      newest: null,
      healthy: false,
      failures: [{ check: 'reachable', message: 's3 is not reachable: ECONNREFUSED' }],
      skipped: ['max-age', 'max-storage'],
      strangers: [],
    },
  ],
};

const stranger = (key: string, size: number, kind: 'future-dated' | 'foreign', reason: string) => ({
  key,
  size,
  kind,
  reason,
  date: new Date(`${key.slice(4, 14)}T00:00:00Z`),
});

describe('command output', () => {
  it('backup:list and backup:monitor name the objects not counted as backups, apart from the counted ones', () => {
    const withStrangers: HealthReport = {
      healthy: false,
      checkedAt: NOW.toISOString(),
      destinations: [
        {
          ...report.destinations[0],
          healthy: false,
          failures: [{ check: 'future-dated', message: '1 object(s) on local dated in the future: …' }],
          strangers: [
            stranger('app/2099-01-01-00-00-00.zip', 3, 'future-dated', 'named for 2099'),
            stranger('app/2026-06-10-00-00-00.zip', 24, 'foreign', '24 bytes'),
          ],
        },
      ],
    };
    const text = renderListing('app', withStrangers, NOW);
    expect(text).toContain(
      'local: not counted as backups (left alone):\n  ? app/2099-01-01-00-00-00.zip (3 B): future-dated, named for 2099\n  ? app/2026-06-10-00-00-00.zip (24 B): foreign, 24 bytes',
    );
    expect(listingJson('app', withStrangers, NOW)[0].strangers).toEqual([
      { key: 'app/2099-01-01-00-00-00.zip', kind: 'future-dated', size: 3, date: '2099-01-01T00:00:00.000Z', reason: 'named for 2099' },
      { key: 'app/2026-06-10-00-00-00.zip', kind: 'foreign', size: 24, date: '2026-06-10T00:00:00.000Z', reason: '24 bytes' },
    ]);
    expect(renderMonitor(withStrangers, NOW)).toBe(
      [
        '✘ local: unhealthy',
        '    - future-dated: 1 object(s) on local dated in the future: …',
        '    not counted as backups (left alone):',
        '    ? app/2026-06-10-00-00-00.zip (24 B): foreign, 24 bytes',
        '1 of 1 disk(s) unhealthy.',
      ].join('\n'),
    );
  });

  it('backup:list renders the spatie columns, ages and sizes, then why a disk is unhealthy', () => {
    const text = renderListing('app', report, NOW);
    const lines = text.split('\n');
    expect(lines[1]).toBe('| Name | Disk  | Reachable | Healthy | # of backups | Newest backup         | Used storage |');
    expect(lines[3]).toBe('| app  | local | ✅        | ✅      |            3 | 1.04 days (1 day ago) |       1.5 KB |');
    expect(lines[4]).toBe('| app  | s3    | ❌        | ❌      |              |                       |              |');
    expect(text).toContain('s3: unreachable\n  - reachable: s3 is not reachable: ECONNREFUSED');
    expect(listingJson('app', report, NOW)[0]).toMatchObject({
      disk: 'local',
      count: 3,
      usedBytes: 1536,
      usedStorage: '1.5 KB',
      newestBackupAge: '1.04 days (1 day ago)',
    });
  });

  it('backup:monitor names every failed check and the skipped ones', () => {
    expect(renderMonitor(report, NOW)).toBe(
      [
        '✔ local: healthy (3 backup(s), newest 1.04 days (1 day ago), 1.5 KB)',
        '✘ s3: unreachable',
        '    - reachable: s3 is not reachable: ECONNREFUSED',
        '    (skipped: max-age, max-storage)',
        '1 of 2 disk(s) unhealthy.',
      ].join('\n'),
    );
  });

  it('backup:clean says what would go and why in a dry run', () => {
    const text = renderCleanup({
      ok: true,
      dryRun: true,
      destinations: [
        {
          destination: 'local',
          description: 'local disk /b',
          ok: true,
          countBefore: 2,
          usedBytesBefore: 2048,
          deleted: [{ key: 'app/2020-01-01-00-00-00.zip', size: 1024, reason: 'older than the end of the yearly period' }],
          failed: [],
          countAfter: 1,
          usedBytesAfter: 1024,
          leftAlone: [
            { key: 'app/2026-06-01-00-00-00.zip', date: new Date('2026-06-01T00:00:00Z'), size: 24, kind: 'foreign', reason: 'too small' },
          ],
        },
      ],
    });
    expect(text).toBe(
      [
        'Dry run: nothing is deleted.',
        'local (local disk /b): 2 backup(s), 2 KB',
        '  would delete app/2020-01-01-00-00-00.zip (1 KB): older than the end of the yearly period',
        '  left alone, not a backup: app/2026-06-01-00-00-00.zip (24 B): foreign, too small',
        '✔ local: would delete 1 backup(s), 1 KB; 1 backup(s) would remain, using 1 KB.',
      ].join('\n'),
    );
  });
});
