import * as path from 'node:path';
import type { BackupModuleOptions } from '../config/backup-options.interface';
import { AuditSettings } from './audit.types';

export const DEFAULT_RPO_HOURS = 24;
export const DEFAULT_RTO_HOURS = 4;

/**
 * The audit settings in force, defaults filled in. The file defaults to
 * `<local root>/.audit/<BACKUP_NAME>.jsonl`: beside the backups (the local root is never
 * archived, and `.audit` is not a backup name, so listing and retention ignore it).
 */
export function auditSettingsOf(options: BackupModuleOptions): AuditSettings {
  const given = (options as { audit?: Partial<AuditSettings> }).audit ?? {};
  const localRoot = options.local?.root ?? path.resolve(options.appRoot, 'storage/backups');
  return {
    mode: given.mode ?? 'auto',
    file: given.file ? path.resolve(options.appRoot, given.file) : path.join(localRoot, '.audit', `${options.appName}.jsonl`),
    dataSource: given.dataSource ?? options.databases[0] ?? 'default',
    rpoHours: given.rpoHours ?? DEFAULT_RPO_HOURS,
    rtoHours: given.rtoHours ?? DEFAULT_RTO_HOURS,
  };
}
