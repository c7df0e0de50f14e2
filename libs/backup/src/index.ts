// The public API of nest-backup. Everything not re-exported here is internal.
export * from './common/backup.error';
export * from './common/redact';
export * from './events/backup.events';
export * from './sources/connection-info';
export * from './sources/database-dumper.interface';
export * from './destinations/destination.interface';
