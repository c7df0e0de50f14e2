import { Injectable, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { mkdtemp, rm } from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { backupFileName } from '../../libs/backup/src/catalog/backup-key';
import { MonitorCommand } from '../../libs/backup/src/cli/monitor.command';
import { BackupEvents } from '../../libs/backup/src/events/backup.events';
import { BackupHealthIndicator } from '../../libs/backup/src/health/backup.health-indicator';
import { HealthCheck, HealthCheckContext } from '../../libs/backup/src/health/health-check.interface';
import { BACKUP_HEALTH_CHECKS } from '../../libs/backup/src/health/health.constants';
import { HealthMonitor } from '../../libs/backup/src/health/health.monitor';
import { capture, harness, Harness, optionsFor, writeLocal, writeS3 } from '../catalog/catalog.fixtures';
import { startS3Server, TestS3Server } from '../support/s3.server';

const HOUR = 3_600_000;
const MIB = 1024 * 1024;
const keyAt = (app: string, ago: number) => `${app}/${backupFileName(new Date(Date.now() - ago))}`;

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('HealthMonitor and backup:monitor against the local disk and s3rver', () => {
  let s3: TestS3Server;
  let root: string;
  const open: Harness[] = [];
  const start = async (...args: Parameters<typeof harness>) => {
    const h = await harness(...args);
    open.push(h);
    return h;
  };

  beforeAll(async () => {
    s3 = await startS3Server();
    root = await mkdtemp(path.join(tmpdir(), 'monitor-e2e-'));
  });
  afterAll(async () => {
    for (const h of open) await h.module.close();
    await s3?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('an old newest backup is unhealthy with its age; backup:monitor exits 1 and emits the unhealthy event', async () => {
    const app = 'old-app';
    const old = [
      { key: keyAt(app, 80 * HOUR), size: 1000 },
      { key: keyAt(app, 100 * HOUR), size: 1000 },
    ];
    await Promise.all([writeLocal(root, old), writeS3(s3, old)]);
    const h = await start(optionsFor(root, s3, { BACKUP_NAME: app }));

    const { out, exitCode } = await capture(() => h.module.get(MonitorCommand).run([], {}));
    expect(exitCode).toBe(1);
    for (const disk of ['local', 's3']) {
      expect(out).toContain(`✘ ${disk}: unhealthy`);
      expect(out).toContain(`- max-age: The newest backup on ${disk} is too old: ${old[0].key}`);
    }
    expect(out).toContain('3.33 days (3 days ago); the limit is 1 day(s) (BACKUP_MAX_AGE_DAYS).');
    expect(out).toContain('2 of 2 disk(s) unhealthy.');
    const unhealthy = h.events.filter((e) => e.name === BackupEvents.UnhealthyBackupFound);
    expect(unhealthy.map((e) => e.payload.destination)).toEqual(['local', 's3']);
    expect(unhealthy[0].payload).toMatchObject({ appName: app, newestBackup: old[0].key, failures: [{ check: 'max-age' }] });
  });

  it('no backups at all is unhealthy on both disks, even with unrelated files present', async () => {
    const app = 'empty-app';
    const unrelated = [{ key: `${app}/notes.txt`, size: 10 }];
    await Promise.all([writeLocal(root, unrelated), writeS3(s3, unrelated)]);
    const h = await start(optionsFor(root, s3, { BACKUP_NAME: app }));
    const report = await h.module.get(HealthMonitor).evaluate();
    expect(report.healthy).toBe(false);
    expect(report.destinations.map((d) => [d.destination, d.reachable, d.count, d.failures])).toEqual([
      ['local', true, 0, [{ check: 'max-age', message: 'There are no backups on local at all.' }]],
      ['s3', true, 0, [{ check: 'max-age', message: 'There are no backups on s3 at all.' }]],
    ]);
  });

  it('storage over BACKUP_MAX_STORAGE_MB is unhealthy; fresh backups under it are healthy', async () => {
    const app = 'big-app';
    const big = [
      { key: keyAt(app, HOUR), size: MIB },
      { key: keyAt(app, 2 * HOUR), size: MIB / 2 },
    ];
    await Promise.all([writeLocal(root, big), writeS3(s3, big)]);
    const over = await start(optionsFor(root, s3, { BACKUP_NAME: app, BACKUP_MAX_STORAGE_MB: '1' }));
    const overReport = await over.module.get(HealthMonitor).evaluate();
    for (const d of overReport.destinations) {
      expect(d).toMatchObject({ reachable: true, healthy: false, count: 2, usedBytes: 1.5 * MIB });
      expect(d.failures).toEqual([
        {
          check: 'max-storage',
          message: `The backups on ${d.destination} use 1.5 MB (${1.5 * MIB} bytes), more than the allowed 1 MB (BACKUP_MAX_STORAGE_MB=1).`,
        },
      ]);
    }
    const under = await start(optionsFor(root, s3, { BACKUP_NAME: app, BACKUP_MAX_STORAGE_MB: '2' }));
    const { out, exitCode } = await capture(() => under.module.get(MonitorCommand).run([], { json: true }));
    expect(exitCode).toBe(0);
    const json = JSON.parse(out);
    expect(json.healthy).toBe(true);
    expect(json.destinations.map((d: any) => [d.destination, d.healthy, d.count])).toEqual([
      ['local', true, 2],
      ['s3', true, 2],
    ]);
    expect(under.events.map((e) => e.name)).toEqual([BackupEvents.HealthyBackupFound, BackupEvents.HealthyBackupFound]);
  });

  it('an unreachable S3 endpoint is reported with the reason and its other checks are skipped', async () => {
    const app = 'fresh-app';
    await writeLocal(root, [{ key: keyAt(app, HOUR), size: 1000 }]);
    const dead = { ...s3, endpoint: `http://127.0.0.1:${await closedPort()}` };
    const h = await start(optionsFor(root, dead, { BACKUP_NAME: app }));
    const { out, exitCode } = await capture(() => h.module.get(MonitorCommand).run([], { json: true }));
    expect(exitCode).toBe(1);
    const [local, remote] = JSON.parse(out).destinations;
    expect(local).toMatchObject({ destination: 'local', healthy: true });
    expect(remote).toMatchObject({
      destination: 's3',
      reachable: false,
      healthy: false,
      count: 0,
      skipped: ['max-age', 'max-storage', 'future-dated'],
    });
    expect(remote.failures).toHaveLength(1);
    expect(remote.failures[0].check).toBe('reachable');
    expect(remote.failures[0].message).toContain(`s3 (s3://${s3.bucket}/ (${dead.endpoint})) is not reachable`);
    expect(remote.failures[0].message).toContain('cannot reach S3 endpoint');
    expect(remote.failures[0].message).toContain('ECONNREFUSED');
    expect(remote.failures[0].message).not.toContain(s3.secretAccessKey);
  });

  it('a host check registered under BACKUP_HEALTH_CHECKS reports beside the built-ins; terminus shows it', async () => {
    const app = 'host-app';
    const backups = [{ key: keyAt(app, 30 * HOUR), size: 1000 }];
    await Promise.all([writeLocal(root, backups), writeS3(s3, backups)]);

    @Injectable()
    class RestoreDrillCheck implements HealthCheck {
      readonly name = 'restore-drill';
      async check({ destination, backups: found }: HealthCheckContext) {
        return destination.name === 's3' ? `no restore drill of ${found[0]?.key} yet` : null;
      }
    }
    @Module({
      imports: [TerminusModule],
      providers: [
        RestoreDrillCheck,
        { provide: BACKUP_HEALTH_CHECKS, useFactory: (c: RestoreDrillCheck) => [c], inject: [RestoreDrillCheck] },
        BackupHealthIndicator,
      ],
      exports: [BackupHealthIndicator],
    })
    class HostHealthModule {}

    const h = await start(optionsFor(root, s3, { BACKUP_NAME: app }), [], [HostHealthModule]);
    const report = await h.module.get(HealthMonitor).evaluate();
    expect(report.destinations.map((d) => [d.destination, d.failures.map((f) => f.check)])).toEqual([
      ['local', ['max-age']],
      ['s3', ['max-age', 'restore-drill']],
    ]);
    expect(report.destinations[1].failures[1].message).toBe(`no restore drill of ${backups[0].key} yet`);

    const result = await h.module.get(BackupHealthIndicator).isHealthy('backups');
    expect(result.backups.status).toBe('down');
    expect((result.backups as any).disks.s3.failures).toEqual([
      expect.stringMatching(/^max-age: The newest backup on s3 is too old/),
      `restore-drill: no restore drill of ${backups[0].key} yet`,
    ]);
    expect(h.events).toEqual([]); // the indicator reports without notifying
  });
});
