import { formatBytes } from '../../listing/size.format';
import { HealthCheck, HealthCheckContext } from '../health-check.interface';
import { BUILT_IN_CHECKS } from '../health.constants';

const MIB = 1024 * 1024;

/**
 * This app's backups on the destination use at most BACKUP_MAX_STORAGE_MB MiB (spatie's
 * MaximumStorageInMegabytes). Unrelated files are not counted. 0 switches the check off.
 */
export class MaxStorageCheck implements HealthCheck {
  readonly name = BUILT_IN_CHECKS.maxStorage;

  constructor(private readonly maxStorageMb: number) {}

  async check({ destination, backups }: HealthCheckContext): Promise<string | null> {
    if (!(this.maxStorageMb > 0)) return null;
    const used = backups.reduce((sum, b) => sum + b.size, 0);
    const allowed = this.maxStorageMb * MIB;
    if (used <= allowed) return null;
    return (
      `The backups on ${destination.name} use ${formatBytes(used)} (${used} bytes), more than the allowed ` +
      `${formatBytes(allowed)} (BACKUP_MAX_STORAGE_MB=${this.maxStorageMb}).`
    );
  }
}
