import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { BACKUP_OPTIONS } from '../config/backup-options.token';
import { secretsOf } from '../config/secrets';
import { BackupCatalog, errorText, summarize } from '../catalog/backup.catalog';
import { Redactor } from '../common/redact';
import { BackupModuleOptions } from '../config/backup-options.interface';
import { BackupDestination } from '../destinations/destination.interface';
import { BackupEvents, HealthCheckFailure, HealthyBackupFoundEvent, UnhealthyBackupFoundEvent } from '../events/backup.events';
import { FutureDatedCheck } from './checks/future-dated.check';
import { MaxAgeCheck } from './checks/max-age.check';
import { MaxStorageCheck } from './checks/max-storage.check';
import { ReachableCheck } from './checks/reachable.check';
import { HealthCheck } from './health-check.interface';
import { probeLeftovers } from './incomplete-uploads.probe';
import { BACKUP_HEALTH_CHECKS, BUILT_IN_CHECKS } from './health.constants';
import { HealthCheckConfigError } from './health.errors';
import { DestinationHealth, HealthCheckOptions, HealthReport, HealthRequest, MonitorRequest } from './health.types';
import { audited, AUDIT_TRAIL, AuditRecorder } from '../audit/audit.hook';
import { monitorFacts } from './health.audit';

/**
 * Checks the backups on every monitored destination (BACKUP_MONITOR_DISKS): reachable first
 * (when not, the other checks are skipped and the reason given), then the newest backup's age,
 * the storage used, objects dated in the future (never taken as the newest), and every check the host registered under BACKUP_HEALTH_CHECKS or in the
 * module options' `healthChecks`. All failures are collected, not only the first.
 *
 * `evaluate()` only reports (for `backup:list` and the terminus indicator); `monitor()` also
 * emits backup.health.healthy / backup.health.unhealthy per destination (for `backup:monitor`).
 *
 * @example
 * const report = await monitor.monitor();
 * if (!report.healthy) process.exitCode = 1;
 */
@Injectable()
export class HealthMonitor {
  private readonly logger = new Logger('BackupHealth');
  private readonly redactor: Redactor;
  private readonly reachable = new ReachableCheck();
  private hostChecks?: HealthCheck[];

  constructor(
    @Inject(BACKUP_OPTIONS) private readonly options: BackupModuleOptions,
    private readonly catalog: BackupCatalog,
    private readonly moduleRef: ModuleRef,
    @Optional() private readonly events?: EventEmitter2,
    @Optional() @Inject(AUDIT_TRAIL) private readonly audit?: AuditRecorder,
  ) {
    this.redactor = new Redactor(secretsOf(options));
  }

  /** The disks checked by default: BACKUP_MONITOR_DISKS (which defaults to BACKUP_DISKS). */
  monitoredDisks(): string[] {
    return this.options.monitor?.disks?.length ? this.options.monitor.disks : this.options.disks;
  }

  /** BACKUP_NAME, the folder every backup of this app lives in. */
  appName(): string {
    return this.options.appName;
  }

  /** What `backup:list` shows: every backup disk, then any monitored disk not among them. */
  listedDisks(): string[] {
    return [...new Set([...this.options.disks, ...this.monitoredDisks()])];
  }

  /** The checks run after reachability: the built-ins, then the host's own. */
  checks(): HealthCheck[] {
    const monitor = this.options.monitor;
    return [
      new MaxAgeCheck(monitor?.maxAgeDays ?? 1),
      new MaxStorageCheck(monitor?.maxStorageMb ?? 10240),
      new FutureDatedCheck(),
      ...this.findHostChecks(),
    ];
  }

  /** Runs every check on every disk asked for; emits nothing. */
  async evaluate(request: HealthRequest = {}): Promise<HealthReport> {
    const now = request.now ?? new Date();
    const disks = [...new Set(request.disks ?? this.monitoredDisks())];
    const destinations = await Promise.all(disks.map((disk) => this.evaluateDisk(disk, now)));
    return { healthy: destinations.every((d) => d.healthy), checkedAt: now.toISOString(), destinations };
  }

  /** evaluate(), then one healthy/unhealthy event per destination (awaited, so notifications go out). */
  async monitor(request: MonitorRequest = {}): Promise<HealthReport> {
    return audited(this.audit, 'monitor', () => this.monitorAll(request), monitorFacts);
  }

  private async monitorAll(request: MonitorRequest): Promise<HealthReport> {
    const report = await this.evaluate(request);
    for (const d of report.destinations) {
      if (d.healthy) this.logger.log(`${d.destination}: healthy`);
      else this.logger.warn(`${d.destination}: unhealthy — ${d.failures.map((f) => `${f.check}: ${f.message}`).join('; ')}`);
    }
    await this.emit(report, !!request.disableNotifications);
    return report;
  }

  private async evaluateDisk(disk: string, now: Date): Promise<DestinationHealth> {
    let destination: BackupDestination;
    try {
      destination = this.catalog.resolve(disk);
    } catch (err) {
      return this.unreachable(disk, disk, this.redactor.redact(errorText(err)));
    }
    const unreachable = await this.reachable.check({ destination });
    if (unreachable) return this.unreachable(destination.name, destination.describe(), this.redactor.redact(unreachable));

    let backups, strangers;
    try {
      ({ backups, strangers } = await this.catalog.survey(destination, undefined, now));
    } catch (err) {
      const why = `${destination.name} (${destination.describe()}) cannot be listed: ${errorText(err)}`;
      return this.unreachable(destination.name, destination.describe(), this.redactor.redact(why));
    }

    const failures: HealthCheckFailure[] = [];
    for (const check of this.checks()) {
      let message: string | null | void;
      try {
        message = await check.check({ destination, backups, strangers, now });
      } catch (err) {
        message = `the check itself failed: ${errorText(err)}`;
      }
      if (message) failures.push({ check: check.name, message: this.redactor.redact(String(message)) });
    }
    const leftovers = await probeLeftovers(destination, `${this.options.appName}/`);
    return {
      ...summarize(destination, backups, strangers),
      healthy: failures.length === 0,
      failures,
      skipped: [],
      ...(leftovers.incompleteUploads ? { incompleteUploads: leftovers.incompleteUploads } : {}),
      ...(leftovers.warnings.length ? { warnings: leftovers.warnings.map((w) => this.redactor.redact(w)) } : {}),
    };
  }

  private unreachable(name: string, description: string, message: string): DestinationHealth {
    return {
      destination: name,
      description,
      reachable: false,
      error: message,
      count: 0,
      newest: null,
      usedBytes: 0,
      strangers: [],
      healthy: false,
      failures: [{ check: BUILT_IN_CHECKS.reachable, message }],
      skipped: this.checks().map((c) => c.name),
    };
  }

  private async emit(report: HealthReport, disableNotifications: boolean): Promise<void> {
    if (!this.events) return;
    const meta = { disableNotifications };
    for (const d of report.destinations) {
      const base = {
        appName: this.options.appName,
        destination: d.destination,
        at: report.checkedAt,
        newestBackup: d.newest?.key,
        newestBackupAt: d.newest?.date.toISOString(),
      };
      try {
        if (d.healthy) {
          const event: HealthyBackupFoundEvent = base;
          await this.events.emitAsync(BackupEvents.HealthyBackupFound, event, meta);
        } else {
          const event: UnhealthyBackupFoundEvent = { ...base, failures: d.failures };
          await this.events.emitAsync(BackupEvents.UnhealthyBackupFound, event, meta);
        }
      } catch (err) {
        // A listener's failure must never change the health verdict or the exit code.
        this.logger.error(`A listener of the health event for ${d.destination} failed: ${this.redactor.redact(errorText(err))}`);
      }
    }
  }

  /** Host checks: the module options' `healthChecks`, then the BACKUP_HEALTH_CHECKS provider, found once. */
  private findHostChecks(): HealthCheck[] {
    if (!this.hostChecks) {
      const fromOptions = (this.options as BackupModuleOptions & HealthCheckOptions).healthChecks ?? [];
      let fromProvider: unknown = [];
      try {
        fromProvider = this.moduleRef.get(BACKUP_HEALTH_CHECKS, { strict: false }) ?? [];
      } catch {
        /* no host provider registered */
      }
      const provided = Array.isArray(fromProvider) ? fromProvider : [fromProvider];
      const all = [...fromOptions, ...provided];
      all.forEach((check, i) => {
        if (!isHealthCheck(check)) {
          throw new HealthCheckConfigError(
            `Host health check #${i + 1} is not a HealthCheck (it needs a string "name" and a "check(ctx)" method)`,
            'Register objects such as `new MyCheck()` in BACKUP_HEALTH_CHECKS or in the `healthChecks` module option.',
          );
        }
      });
      this.hostChecks = all as HealthCheck[];
    }
    return this.hostChecks;
  }
}

function isHealthCheck(value: unknown): value is HealthCheck {
  return !!value && typeof (value as HealthCheck).name === 'string' && typeof (value as HealthCheck).check === 'function';
}
