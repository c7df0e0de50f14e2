/** Injection token of the resolved BackupModuleOptions. */
export const BACKUP_OPTIONS = Symbol('BACKUP_OPTIONS');
