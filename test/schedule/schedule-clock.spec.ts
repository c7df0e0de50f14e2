/**
 * The schedule driven by a fake clock: jobs fire at their configured times in the configured
 * time zone, not when "off", and a firing skips (with a log line) when another instance holds
 * the lock. The services are fakes that record their calls (unit test of the scheduler).
 */
import { Logger } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { BackupService } from '../../libs/backup/src/backup/backup.service';
import { CleanupService } from '../../libs/backup/src/cleanup/cleanup.service';
import { BackupModuleOptions, ScheduleSettings } from '../../libs/backup/src/config/backup-options.interface';
import { backupOptionsFromEnv } from '../../libs/backup/src/config/env.config';
import { HealthMonitor } from '../../libs/backup/src/health/health.monitor';
import { BackupLock } from '../../libs/backup/src/lock/backup-lock.interface';
import { JobLock } from '../../libs/backup/src/lock/job.lock';
import { ConnectionResolver } from '../../libs/backup/src/sources/connection.resolver';
import { BackupScheduler } from '../../libs/backup/src/schedule/backup.scheduler';
import { VerifyService } from '../../libs/backup/src/verify/verify.service';

/** A lock another "instance" can hold. */
class MemoryLock implements BackupLock {
  readonly held = new Set<string>();
  async tryAcquire(key: string): Promise<boolean> {
    if (this.held.has(key)) return false;
    this.held.add(key);
    return true;
  }
  async release(key: string): Promise<void> {
    this.held.delete(key);
  }
}

interface Harness {
  scheduler: BackupScheduler;
  calls: Array<{ job: string; at: string }>;
  logs: string[];
  lock: MemoryLock;
}

function harness(env: Record<string, string>): Harness {
  const options: BackupModuleOptions = { ...backupOptionsFromEnv({ BACKUP_ENCRYPTION: 'none', ...env }, { cwd: '/srv/app' }) };
  const lock = new MemoryLock();
  options.lock = lock;
  const calls: Harness['calls'] = [];
  const record = (job: string, result: object) => async () => {
    calls.push({ job, at: new Date().toISOString() });
    return result;
  };
  const services = new Map<unknown, object>([
    [BackupService, { run: record('run', { ok: true }) }],
    [CleanupService, { clean: record('clean', { ok: true, destinations: [] }) }],
    [HealthMonitor, { monitor: record('monitor', { healthy: true }) }],
    [VerifyService, { verify: record('verify', { ok: true }) }],
  ]);
  const moduleRef = { get: (type: unknown) => services.get(type) } as unknown as ModuleRef;
  const jobLock = new JobLock(options, {} as ConnectionResolver);
  const scheduler = new BackupScheduler(options, moduleRef, jobLock);
  const logs: string[] = [];
  for (const level of ['log', 'warn', 'error'] as const) {
    jest.spyOn(Logger.prototype, level).mockImplementation(((message: unknown) => {
      logs.push(String(message));
    }) as never);
  }
  return { scheduler, calls, logs, lock };
}

/** Moves the fake clock forward, letting each firing's promises settle. */
async function advanceTo(iso: string): Promise<void> {
  await jest.advanceTimersByTimeAsync(new Date(iso).getTime() - Date.now());
}

describe('BackupScheduler on a fake clock', () => {
  let h: Harness | undefined;

  afterEach(async () => {
    await h?.scheduler.beforeApplicationShutdown();
    h = undefined;
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('fires run at 02:00, clean at 02:30 and monitor at 03:00 (UTC by default), verify never', async () => {
    jest.useFakeTimers({ now: new Date('2026-03-10T01:59:00Z') });
    h = harness({});
    h.scheduler.onApplicationBootstrap();
    expect(Object.keys(h.scheduler.nextFirings()).sort()).toEqual(['nest-backup:clean', 'nest-backup:monitor', 'nest-backup:run']);

    await advanceTo('2026-03-10T01:59:59Z');
    expect(h.calls).toEqual([]);
    await advanceTo('2026-03-10T02:00:01Z');
    expect(h.calls).toEqual([{ job: 'run', at: '2026-03-10T02:00:00.000Z' }]);
    await advanceTo('2026-03-10T03:00:01Z');
    expect(h.calls.map((c) => `${c.job}@${c.at}`)).toEqual([
      'run@2026-03-10T02:00:00.000Z',
      'clean@2026-03-10T02:30:00.000Z',
      'monitor@2026-03-10T03:00:00.000Z',
    ]);
    // The next day again, and still no verify.
    await advanceTo('2026-03-11T03:00:01Z');
    expect(h.calls.map((c) => c.job)).toEqual(['run', 'clean', 'monitor', 'run', 'clean', 'monitor']);
    expect(h.logs).toContain('Scheduled run started');
  });

  it('reads the times in BACKUP_TIMEZONE (02:00 in Berlin is 01:00 UTC in winter, 00:00 UTC in summer; not skipped on the DST night)', async () => {
    jest.useFakeTimers({ now: new Date('2026-03-28T00:00:00Z') });
    h = harness({ BACKUP_TIMEZONE: 'Europe/Berlin', BACKUP_SCHEDULE_CLEAN: 'off', BACKUP_SCHEDULE_MONITOR: 'off' });
    h.scheduler.onApplicationBootstrap();
    await advanceTo('2026-03-30T12:00:00Z');
    expect(h.calls).toEqual([
      { job: 'run', at: '2026-03-28T01:00:00.000Z' },
      // 29 March 2026: clocks jump from 02:00 to 03:00; the backup runs at 03:00 CEST, not never.
      { job: 'run', at: '2026-03-29T01:00:00.000Z' },
      { job: 'run', at: '2026-03-30T00:00:00.000Z' },
    ]);
  });

  it('registers nothing for "off" and fires verify when it is scheduled', async () => {
    jest.useFakeTimers({ now: new Date('2026-03-10T00:00:00Z') });
    h = harness({
      BACKUP_SCHEDULE_RUN: 'off',
      BACKUP_SCHEDULE_CLEAN: 'off',
      BACKUP_SCHEDULE_MONITOR: 'off',
      BACKUP_SCHEDULE_VERIFY: '15 4 * * 0',
    });
    h.scheduler.onApplicationBootstrap();
    expect(Object.keys(h.scheduler.nextFirings())).toEqual(['nest-backup:verify']);
    await advanceTo('2026-03-16T00:00:00Z');
    expect(h.calls).toEqual([{ job: 'verify', at: '2026-03-15T04:15:00.000Z' }]); // Sunday
  });

  it('skips a firing with a log line while another instance holds the lock', async () => {
    jest.useFakeTimers({ now: new Date('2026-03-10T01:00:00Z') });
    h = harness({ BACKUP_SCHEDULE_CLEAN: 'off', BACKUP_SCHEDULE_MONITOR: 'off', BACKUP_NAME: 'shop' });
    h.lock.held.add('shop:backup:run');
    h.scheduler.onApplicationBootstrap();
    await advanceTo('2026-03-10T02:00:01Z');
    expect(h.calls).toEqual([]);
    expect(h.logs.some((l) => /Scheduled run skipped: another instance holds the lock for "shop:backup:run"/.test(l))).toBe(true);
    h.lock.held.clear();
    await advanceTo('2026-03-11T02:00:01Z');
    expect(h.calls).toEqual([{ job: 'run', at: '2026-03-11T02:00:00.000Z' }]);
  });

  it('refuses an invalid cron expression at start-up, naming the variable', () => {
    expect(() => backupOptionsFromEnv({ BACKUP_ENCRYPTION: 'none', BACKUP_SCHEDULE_CLEAN: '61 2 * * *' })).toThrow(
      /BACKUP_SCHEDULE_CLEAN must be a cron expression/,
    );
    expect(() => backupOptionsFromEnv({ BACKUP_ENCRYPTION: 'none', BACKUP_TIMEZONE: 'Mars/Olympus' })).toThrow(
      /BACKUP_TIMEZONE must be an IANA time zone/,
    );
    // Options built by hand are checked by the scheduler itself.
    h = harness({});
    const schedules = h.scheduler['options'].schedules as ScheduleSettings;
    schedules.monitor = 'every day at 3';
    expect(() => h!.scheduler.onApplicationBootstrap()).toThrow(/BACKUP_SCHEDULE_MONITOR is not a valid cron expression/);
  });
});
