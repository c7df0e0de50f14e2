/** The QueueSettings (or null: no shared queue), read from the environment by BackupModule. */
export const QUEUE_SETTINGS = 'BACKUP_QUEUE_SETTINGS';
