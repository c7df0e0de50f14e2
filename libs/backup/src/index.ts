// The public API of nest-backup. Everything not re-exported here is internal.
export * from './common/backup.error';
export * from './common/redact';
export * from './events/backup.events';
export * from './config/backup-options.interface';
export * from './config/backup-config.error';
export * from './config/env.config';
export * from './config/config-service.factory';
export * from './module/backup.module';
export * from './module/destination.registry';
export * from './module/connection.resolver';
export * from './backup/backup.service';
export * from './backup/backup-run.types';
export * from './backup/backup-key';
export * from './backup/backup.constants';
export * from './sources/connection-info';
export * from './sources/database-dumper.interface';
export * from './destinations/destination.interface';
