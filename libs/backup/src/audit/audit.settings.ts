import * as path from 'node:path';
import type { BackupModuleOptions } from '../config/backup-options.interface';
import { AuditSettings } from './audit.types';

export const DEFAULT_RPO_HOURS = 24;
export const DEFAULT_RTO_HOURS = 4;

/**
 * The audit settings in force, defaults filled in. The file defaults to
 * `<app root>/storage/audit/<BACKUP_NAME>.jsonl`: outside the local disk's folder (whose
 * contents are backups only) and outside the archived paths unless BACKUP_INCLUDE names it.
 */
export function auditSettingsOf(options: BackupModuleOptions): AuditSettings {
  const given = (options as { audit?: Partial<AuditSettings> }).audit ?? {};
  return {
    mode: given.mode ?? 'auto',
    file: given.file
      ? path.resolve(options.appRoot, given.file)
      : path.resolve(options.appRoot, 'storage', 'audit', `${options.appName}.jsonl`),
    dataSource: given.dataSource ?? options.databases[0] ?? 'default',
    rpoHours: given.rpoHours ?? DEFAULT_RPO_HOURS,
    rtoHours: given.rtoHours ?? DEFAULT_RTO_HOURS,
  };
}
