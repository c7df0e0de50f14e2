import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap, Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { CronJob } from 'cron';
import { BACKUP_OPTIONS } from '../config/backup-options.token';
import { BackupService } from '../backup/backup.service';
import { BackupCancelledError } from '../backup/retry';
import { CleanupService } from '../cleanup/cleanup.service';
import { BackupModuleOptions, ScheduleSettings } from '../config/backup-options.interface';
import { cronProblem, isTimeZone } from '../config/schedule.validators';
import { HealthMonitor } from '../health/health.monitor';
import { JobLock, LockedJob } from '../lock/job.lock';
import { VerifyService } from '../verify/verify.service';
import { cleanWithRetries } from './cleanup-attempts';
import { createdForACommand, watchForACommand } from './cli-process';
import { SCHEDULED_JOBS, SHUTDOWN_GRACE_MS } from './schedule.constants';
import { ScheduleConfigError } from './schedule.errors';

/** What SchedulerRegistry offers (typed here so @nestjs/schedule stays an optional peer). */
interface CronRegistry {
  addCronJob(name: string, job: CronJob): void;
  deleteCronJob(name: string): void;
  doesExist(type: 'cron', name: string): boolean;
}

interface Running {
  controller: AbortController;
  done: Promise<void>;
}

/**
 * Registers the backup's cron jobs (BACKUP_SCHEDULE_RUN/CLEAN/MONITOR/VERIFY in
 * BACKUP_TIMEZONE) with @nestjs/schedule's SchedulerRegistry. Only present when the host opts
 * in (`BackupModule.forRootAsync({ ..., schedule: true })`): a CLI process starts no timers.
 * Every firing runs under the app's lock, so with many instances one does the work and the
 * others log that they skipped. On shutdown (SIGTERM) a running job is stopped: dump tools
 * killed, uploads aborted, temporary files removed, the failure event sent.
 */
@Injectable()
export class BackupScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('BackupScheduler');
  private readonly jobs = new Map<string, CronJob>();
  private readonly running = new Map<LockedJob, Running>();
  private registry?: CronRegistry;
  private pendingStart?: NodeJS.Immediate;

  constructor(
    @Inject(BACKUP_OPTIONS) private readonly options: BackupModuleOptions,
    private readonly moduleRef: ModuleRef,
    private readonly jobLock: JobLock,
  ) {}

  onApplicationBootstrap(): void {
    // The CLI entry usually imports the same AppModule as the app: a command's process runs its
    // command, never the schedules (they would fire in every `backup:list`).
    if (createdForACommand(this.moduleRef)) {
      this.logger.debug('Started for a CLI command: no schedules in this process');
      return;
    }
    const settings = this.options.schedules;
    if (!settings)
      throw new ScheduleConfigError(
        'Scheduling is on but the module options carry no `schedules` settings',
        'Build the options with backupOptionsFromEnv / backupOptionsFromConfig, or pass `schedules: { run, clean, monitor, verify, timeZone }`.',
      );
    // nestjs-command's entry calls exec() right after the app is created: wait for that turn
    // (settings checked now, so a bad expression still fails the app's start).
    if (watchForACommand(this.moduleRef)) {
      for (const { job, variable } of SCHEDULED_JOBS) {
        const expression = settings[job as keyof Omit<ScheduleSettings, 'timeZone'>];
        if (expression) this.check(variable, expression, settings.timeZone);
      }
      this.pendingStart = setImmediate(() => {
        this.pendingStart = undefined;
        if (createdForACommand(this.moduleRef)) this.logger.debug('Started for a CLI command: no schedules in this process');
        else this.startTimers(settings);
      });
      return;
    }
    this.startTimers(settings);
  }

  private startTimers(settings: ScheduleSettings): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { CronJob: Cron } = loadCron();
    this.registry = this.findRegistry();
    for (const { job, variable, registryName } of SCHEDULED_JOBS) {
      const expression = settings[job as keyof Omit<ScheduleSettings, 'timeZone'>];
      if (!expression) continue;
      this.check(variable, expression, settings.timeZone);
      const cron: CronJob = Cron.from({
        cronTime: expression,
        timeZone: settings.timeZone,
        start: false,
        onTick: () => void this.fire(job),
      });
      this.jobs.set(registryName, cron);
      if (this.registry) {
        if (this.registry.doesExist('cron', registryName)) this.registry.deleteCronJob(registryName);
        this.registry.addCronJob(registryName, cron);
      }
      cron.start();
      this.logger.log(`Scheduled ${job} at "${expression}" (${settings.timeZone}); next ${cron.nextDate().toISO()}`);
    }
  }

  /** The next firing of each registered job (for a status page and tests). */
  nextFirings(): Record<string, Date> {
    const out: Record<string, Date> = {};
    for (const [name, cron] of this.jobs) out[name] = cron.nextDate().toJSDate();
    return out;
  }

  /** Runs one job now as a firing would: under the lock, skipped when another instance holds it. */
  async fire(job: LockedJob): Promise<void> {
    if (this.running.has(job)) {
      this.logger.warn(`Scheduled ${job} skipped: the previous ${job} is still running on this instance`);
      return;
    }
    const controller = new AbortController();
    const done = this.jobLock
      .exclusive(job, (locked) => this.execute(job, controller.signal, locked))
      .then(
        (outcome) => {
          if (!outcome.ran) this.logger.log(`Scheduled ${job} skipped: ${outcome.reason}`);
        },
        (err) => this.logger.error(`Scheduled ${job} failed: ${err instanceof Error ? err.message : String(err)}`),
      )
      .finally(() => this.running.delete(job));
    this.running.set(job, { controller, done });
    await done;
  }

  /** Stops the timers, then stops running jobs and waits for them to clean up and report. */
  async beforeApplicationShutdown(signal?: string): Promise<void> {
    if (this.pendingStart) clearImmediate(this.pendingStart);
    for (const [name, cron] of this.jobs) {
      void cron.stop();
      if (this.registry?.doesExist('cron', name)) this.registry.deleteCronJob(name);
    }
    this.jobs.clear();
    const running = [...this.running.entries()];
    if (!running.length) return;
    this.logger.warn(`Stopping ${running.map(([j]) => j).join(', ')} (${signal ?? 'shutdown'})`);
    for (const [, r] of running) r.controller.abort(new BackupCancelledError(`${signal ?? 'the app'} is shutting down`));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(running.map(([, r]) => r.done)),
      new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_GRACE_MS))),
    ]);
    clearTimeout(timer);
  }

  private async execute(job: LockedJob, signal: AbortSignal, locked: boolean): Promise<void> {
    this.logger.log(`Scheduled ${job} started`);
    const ok = await this.perform(job, signal, locked);
    this.logger.log(`Scheduled ${job} ${ok ? 'finished' : 'FAILED (see above; the failure event was sent)'}`);
  }

  private async perform(job: LockedJob, signal: AbortSignal, locked: boolean): Promise<boolean> {
    const attempts = this.options.attempts ?? { tries: 1, retryDelayMs: 60_000, timeoutMs: null };
    switch (job) {
      case 'run':
        return (await this.service(BackupService).run({ signal, sweepTemporaryFiles: locked })).ok;
      case 'clean':
        return (await cleanWithRetries(this.service(CleanupService), {}, attempts, (l) => this.logger.log(l), signal)).ok;
      case 'monitor':
        return (await this.service(HealthMonitor).monitor({})).healthy;
      case 'verify':
        return (await this.service(VerifyService).verify({ latest: true })).ok;
    }
  }

  /** Resolved at firing time, so the scheduler needs nothing else at start-up. */
  private service<T>(type: Type<T>): T {
    return this.moduleRef.get(type, { strict: false });
  }

  private check(variable: string, expression: string, timeZone: string): void {
    const problem = cronProblem(expression);
    if (problem) {
      throw new ScheduleConfigError(
        `${variable} is not a valid cron expression: "${expression}" (${problem})`,
        'Use five fields (minute hour day month weekday) such as "0 2 * * *", or "off".',
      );
    }
    if (!isTimeZone(timeZone)) {
      throw new ScheduleConfigError(
        `BACKUP_TIMEZONE is not a known time zone: "${timeZone}"`,
        'Use an IANA name such as "UTC" or "Europe/Berlin".',
      );
    }
  }

  private findRegistry(): CronRegistry | undefined {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { SchedulerRegistry } = require('@nestjs/schedule');
      return this.moduleRef.get(SchedulerRegistry, { strict: false });
    } catch {
      return undefined; // ScheduleModule not imported: the jobs run all the same, unlisted
    }
  }
}

function loadCron(): typeof import('cron') {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('cron');
  } catch {
    throw new ScheduleConfigError(
      'Scheduling needs @nestjs/schedule',
      'npm install @nestjs/schedule (it brings the cron package), or drop `schedule: true`.',
    );
  }
}
