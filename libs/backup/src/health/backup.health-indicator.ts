// The only file that imports @nestjs/terminus: it stays an optional peer of the library, and
// nothing else in the library imports this file (only the public index re-exports it).
import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { HealthMonitor } from './health.monitor';

/**
 * Backup health for a host's terminus `/health` endpoint: "up" when every monitored disk is
 * healthy, "down" with every failed check otherwise. It runs the same checks as
 * `backup:monitor` but emits no events, so polling it sends no notifications.
 *
 * @example
 * // health.module.ts of the host (BackupModule is imported once in the app)
 * @Module({ imports: [TerminusModule], controllers: [HealthController], providers: [BackupHealthIndicator] })
 *
 * @Get('health') @HealthCheck()
 * check() {
 *   return this.health.check([() => this.backups.isHealthy('backups')]);
 * }
 */
@Injectable()
export class BackupHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly monitor: HealthMonitor,
  ) {}

  async isHealthy<const Key extends string>(key: Key, options: { disks?: string[] } = {}): Promise<HealthIndicatorResult<Key>> {
    const indicator = this.indicators.check(key);
    const report = await this.monitor.evaluate({ disks: options.disks });
    const disks = Object.fromEntries(
      report.destinations.map((d) => [
        d.destination,
        {
          reachable: d.reachable,
          healthy: d.healthy,
          count: d.count,
          newestBackupAt: d.newest?.date.toISOString() ?? null,
          usedBytes: d.usedBytes,
          failures: d.failures.map((f) => `${f.check}: ${f.message}`),
        },
      ]),
    );
    return report.healthy ? indicator.up({ disks }) : indicator.down({ disks });
  }
}
