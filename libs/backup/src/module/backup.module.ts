import { Logger, Module, Provider } from '@nestjs/common';
import { BACKUP_OPTIONS } from '../config/backup-options.token';
import { BackupService } from '../backup/backup.service';
import { secretsOf } from '../config/secrets';
import { BackupModuleOptions } from '../config/backup-options.interface';
import { NotificationListener } from '../notify/notification.listener';
import { Notifier } from '../notify/notifier.service';
import { NOTIFIER_OPTIONS } from '../notify/notify.constants';
import { notifierOptionsFromEnv } from '../notify/notify.config';
import { BackupCatalog } from '../catalog/backup.catalog';
import { CleanupService } from '../cleanup/cleanup.service';
import { HealthMonitor } from '../health/health.monitor';
import { RestoreService } from '../restore/restore.service';
import { VerifyService } from '../verify/verify.service';
import { JobLock } from '../lock/job.lock';
import { TenantScopeService } from '../tenant/scope/tenant-scope.service';
import { TenantExportService } from '../tenant/export/tenant-export.service';
import { TenantRestoreService } from '../tenant/restore/tenant-restore.service';
import { AuditTrail } from '../audit/audit.trail';
import { AUDIT_TRAIL } from '../audit/audit.hook';
import { ComplianceReporter } from '../audit/compliance.reporter';
import { RetentionPolicy } from '../retention/retention.policy';
import { RETENTION_OPTIONS } from '../retention/retention.constants';
import { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } from './backup.module-definition';
import { ConnectionResolver } from '../sources/connection.resolver';
import { DestinationRegistry } from '../destinations/destination.registry';
import { SecretFileSweeper } from '../sources/secret-file.sweeper';
import { BackupQueue } from '../queue/backup.queue';
import { QUEUE_SETTINGS } from '../queue/queue.constants';
import { queueSettingsFromEnv } from '../queue/queue.settings';

const notifierOptions: Provider = {
  provide: NOTIFIER_OPTIONS,
  inject: [BACKUP_OPTIONS],
  useFactory: (options: BackupModuleOptions) => {
    const hostChannels = options.notificationChannels ?? [];
    const { warnings, ...notifier } = notifierOptionsFromEnv(options.notificationEnv ?? {}, {
      customChannels: hostChannels.map((c) => c.name),
      channels: hostChannels,
      appName: options.appName,
      secrets: secretsOf(options),
      cliCommand: options.cliCommand,
    });
    for (const w of warnings) new Logger('Backup').warn(w);
    return notifier;
  },
};

/** RetentionPolicy plans with the module's own retention settings (BACKUP_KEEP_* and the caps). */
const retentionOptions: Provider = {
  provide: RETENTION_OPTIONS,
  inject: [BACKUP_OPTIONS],
  useFactory: (options: BackupModuleOptions) => options.retention,
};

/** Services reach the audit trail by token, so none of them imports it (no import cycle). */
const auditTrailToken: Provider = { provide: AUDIT_TRAIL, useExisting: AuditTrail };

/** The shared queue's settings (null: no BACKUP_QUEUE_REDIS_URL, jobs run in-process). bullmq is loaded on first use only. */
const queueSettings: Provider = { provide: QUEUE_SETTINGS, useFactory: () => queueSettingsFromEnv(process.env) ?? null };

const services = [
  BackupService,
  DestinationRegistry,
  ConnectionResolver,
  Notifier,
  NotificationListener,
  BackupCatalog,
  CleanupService,
  HealthMonitor,
  RestoreService,
  VerifyService,
  JobLock,
  TenantScopeService,
  TenantExportService,
  TenantRestoreService,
  AuditTrail,
  ComplianceReporter,
  RetentionPolicy,
  BackupQueue,
];

/**
 * Encrypted backups for a NestJS app in one import. It provides no CLI command, so it loads no
 * CLI package: the CLI entry point adds BackupCommandsModule (`nest-backup/nest-commander`) or
 * BackupNestjsCommandModule (`nest-backup/nestjs-command`).
 *
 * @example
 * BackupModule.forRootAsync({
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: backupOptionsFromConfig,
 * })
 */
@Module({
  providers: [
    { provide: BACKUP_OPTIONS, useExisting: MODULE_OPTIONS_TOKEN },
    notifierOptions,
    auditTrailToken,
    retentionOptions,
    queueSettings,
    SecretFileSweeper,
    ...services,
  ],
  exports: [BACKUP_OPTIONS, AUDIT_TRAIL, ...services],
})
export class BackupModule extends ConfigurableModuleClass {}
