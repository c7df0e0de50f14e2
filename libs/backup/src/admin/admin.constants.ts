/** The options given to BackupAdminModule.register(), normalized. */
export const ADMIN_OPTIONS = 'BACKUP_ADMIN_OPTIONS';
/** How requests are let in: the token checker or the host's guard (see admin-access.ts). */
export const ADMIN_ACCESS = 'BACKUP_ADMIN_ACCESS';
/** The job queue (AdminJobQueue); in-process by default, replaceable by a shared queue. */
export const ADMIN_JOB_QUEUE = 'BACKUP_ADMIN_JOB_QUEUE';
/** The environment variable the token is read from. */
export const ADMIN_TOKEN_ENV = 'BACKUP_ADMIN_TOKEN';
/** Shortest token accepted: 32 characters (a guessable token is refused, not warned about). */
export const ADMIN_TOKEN_MIN_LENGTH = 32;
/** The request property the access guard leaves the caller's name in. */
export const ADMIN_CALLER_KEY = 'backupAdminCaller';
export const DEFAULT_ADMIN_PATH = 'admin/backups';
