// The public API of nest-backup: what the README documents, nothing else. Everything not
// re-exported here is internal and may change without notice. The surface is recorded in
// libs/backup/etc/nest-backup.api.md (API Extractor); a change to it is a visible decision
// (`npm run api:update`), checked by test/packaging/api-report.e2e.ts.

// The module and its configuration
export { BackupModule } from './module/backup.module';
export type { BackupModuleExtras } from './module/backup.module-definition';
export { BACKUP_OPTIONS } from './config/backup-options.token';
export type {
  ArchiveOptions,
  AttemptSettings,
  BackupModuleOptions,
  FileSelectionOptions,
  LocalDiskOptions,
  MonitorSettings,
  RetentionSettings,
  S3DiskOptions,
  ScheduleSettings,
} from './config/backup-options.interface';
export { BACKUP_ENV_KEYS, backupOptionsFromEnv } from './config/env.config';
export type { Env } from './config/env.config';
export { backupOptionsFromConfig } from './config/config-service.factory';
export type { ConfigReader } from './config/config-service.factory';
export { CliLogger } from './cli/cli.logger';

// Injectable services, their requests and reports
export { BackupService } from './backup/backup.service';
export type { DestinationOutcome, RunReport, RunRequest } from './backup/backup-run.types';
export { RetentionPolicy } from './retention/retention.policy';
export { DEFAULT_RETENTION, RETENTION_OPTIONS } from './retention/retention.constants';
export type { RetentionCandidate, RetentionOptions, RetentionPlan } from './retention/retention.types';
export { CleanupService } from './cleanup/cleanup.service';
export type { CleanupDeleteFailure, CleanupDeletion, CleanupReport, CleanupRequest, DestinationCleanup } from './cleanup/cleanup.types';
export { BackupCatalog } from './catalog/backup.catalog';
export type { BackupEntry, CatalogFolder, CatalogListing, CatalogSummary, StrangerEntry } from './catalog/backup-entry';
export { HealthMonitor } from './health/health.monitor';
export type { DestinationHealth, HealthReport, HealthRequest, MonitorRequest } from './health/health.types';
export { Notifier } from './notify/notifier.service';
export type { ChannelReport, EventClass, NotificationRoutes, NotifierOptions, NotifyReport } from './notify/notifier.service';
export { RestoreService } from './restore/restore.service';
export type {
  ConfirmationQuestion,
  DatabaseRestorePlan,
  DatabaseRestoreResult,
  FilesRestorePlan,
  RestoreReport,
  RestoreRequest,
  TableCheck,
} from './restore/restore.types';
export { VerifyService } from './verify/verify.service';
export type { BackupVerification, TestRestoreResult, VerifyRequest, VerifyResult, VerifyTableCount } from './verify/verify.events';
export { TenantScopeService } from './tenant/scope/tenant-scope.service';
export { TenantExportService } from './tenant/export/tenant-export.service';
export { TenantRestoreService } from './tenant/restore/tenant-restore.service';
export type { TenantExportFacts, TenantExportReport, TenantExportRequest } from './tenant/export/tenant-export.types';
export type { TenantRestoreReport, TenantRestoreRequest, TenantTablePlan } from './tenant/restore/tenant-restore.types';
export type { EachTenantReport, EachTenantRequest, TenantRunJob, TenantRunResult } from './tenant/export/each-tenant';
export type { Placement, ScopedTable, TenantKey, TenantScope } from './tenant/scope/tenant.scope';
export type { TenantOptions } from './tenant/tenant.options';
export { AuditTrail } from './audit/audit.trail';
export type { RecordResult } from './audit/audit.trail';
export { ComplianceReporter } from './audit/compliance.reporter';
export type { ComplianceReport, DestinationCompliance, ReportedFailure, Verdict } from './audit/compliance.report';
export type {
  AuditEntry,
  AuditFacts,
  AuditMode,
  AuditOperation,
  AuditOutcome,
  AuditRecord,
  AuditSettings,
  ReportedOperation,
} from './audit/audit.types';
export { ADMIN_REQUEST_OPERATION } from './audit/audit.types';
export { BackupScheduler } from './schedule/backup.scheduler';
export type { LockedJob } from './lock/job.lock';

// The admin HTTP API and dashboard (opt-in)
export { BackupAdminModule } from './admin/backup-admin.module';
export type { BackupAdminOptions } from './admin/admin.options';
export { ADMIN_JOB_QUEUE, ADMIN_TOKEN_ENV } from './admin/admin.constants';
export type { AdminJobQueue } from './admin/jobs/admin-job-queue.interface';
export { InProcessJobQueue } from './admin/jobs/in-process.job-queue';
export { AdminJobRunner } from './admin/jobs/admin-job.runner';
export { ADMIN_JOB_KINDS } from './admin/jobs/admin-job.types';

// The shared job queue (BullMQ on Redis, an optional peer loaded only with BACKUP_QUEUE_REDIS_URL)
export { BackupQueue } from './queue/backup.queue';
export type { QueuedJob, QueueWork } from './queue/backup.queue';
export { QUEUE_URL_ENV, queueSettingsFromEnv } from './queue/queue.settings';
export type { QueueSettings } from './queue/queue.settings';
export { BullMqJobQueue } from './admin/jobs/bullmq.job-queue';
export { QueueJobProcessor } from './admin/jobs/queue-job.processor';
export type {
  AdminJob,
  AdminJobKind,
  AdminJobOutcome,
  AdminJobParams,
  AdminJobProgress,
  AdminJobReporter,
  AdminJobRequest,
  AdminJobState,
  RunJobParams,
  TenantExportJobParams,
  VerifyJobParams,
} from './admin/jobs/admin-job.types';

// Events (@nestjs/event-emitter)
export { BackupEvents } from './events/backup.events';
export type {
  BackupEventMeta,
  BackupEventName,
  EventBase,
  BackupEventPayloads,
  BackupFailedEvent,
  BackupSucceededEvent,
  CleanupFailedEvent,
  CleanupSucceededEvent,
  HealthCheckFailure,
  HealthyBackupFoundEvent,
  UnhealthyBackupFoundEvent,
} from './events/backup.events';
export { VerifyEvents } from './verify/verify.events';
export type { VerifyFailedEvent, VerifySucceededEvent } from './verify/verify.events';

// Extension points and the shipped implementations beside them
export type { BackupDestination, DestinationUpload, StoredObject, UploadOptions } from './destinations/destination.interface';
export type { RandomAccessSource } from './archive/random-access.source';
export { LocalDestination } from './destinations/local.destination';
export type { LocalDestinationOptions } from './destinations/local.destination';
export { S3Destination } from './destinations/s3.destination';
export type { S3ChecksumMode, S3ClientHandle, S3DestinationOptions } from './destinations/s3.destination';
export type { HealthCheck, HealthCheckContext } from './health/health-check.interface';
export { BACKUP_HEALTH_CHECKS } from './health/health.constants';
export { FutureDatedCheck } from './health/checks/future-dated.check';
export { MaxAgeCheck } from './health/checks/max-age.check';
export { MaxStorageCheck } from './health/checks/max-storage.check';
export { ReachableCheck } from './health/checks/reachable.check';
export type {
  NotificationChannel,
  NotificationField,
  NotificationLevel,
  NotificationMessage,
  SendOptions,
} from './notify/notification-channel.interface';
export { MailChannel } from './notify/channels/mail.channel';
export type { MailChannelOptions } from './notify/channels/mail.channel';
export { SlackChannel } from './notify/channels/slack.channel';
export type { SlackChannelOptions } from './notify/channels/slack.channel';
export { DiscordChannel } from './notify/channels/discord.channel';
export type { DiscordChannelOptions } from './notify/channels/discord.channel';
export { WebhookChannel } from './notify/channels/webhook.channel';
export type { WebhookChannelOptions } from './notify/channels/webhook.channel';
export { EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhookBody, verifyWebhookSignature } from './notify/webhook.signature';
export type { DatabaseDumper, DumpFacts, DumpHandle } from './sources/database-dumper.interface';
export type { DatabaseLoader, LoadOptions } from './sources/database-loader.interface';
export type { ConnectionInfo, DatabaseDriver } from './sources/connection-info';
export type { BackupLock } from './lock/backup-lock.interface';
export { BACKUP_LOCK } from './lock/backup-lock.interface';
export { SessionLock } from './lock/session.lock';
export { FileLock } from './lock/file.lock';
export { MysqlNamedLock } from './lock/mysql.lock';
export type { MysqlLockSession } from './lock/mysql.lock';
export { PostgresAdvisoryLock } from './lock/postgres.lock';
export type { PgLockSession } from './lock/postgres.lock';
export type { AuditStore } from './audit/audit-store.interface';
export { JsonlAuditStore } from './audit/jsonl.audit-store';
export { TypeOrmAuditStore } from './audit/typeorm.audit-store';
export type { AuditDataSource } from './audit/typeorm.audit-store';
// backupAuditLogEntity and BackupAuditLogMigration carry TypeORM's types: `nest-backup/typeorm`.
export type { BackupAuditLogRow } from './audit/audit-log.table';

// Errors a host may catch: every one carries an operator hint and never a secret
export { BackupError } from './common/backup.error';
export { BackupConfigError } from './config/backup-config.error';
export {
  CorruptArchiveError,
  NotAZipError,
  PasswordRequiredError,
  TruncatedArchiveError,
  UnauthenticatedArchiveError,
  UnsafeEntryNameError,
  UnsupportedArchiveError,
  WrongPasswordError,
} from './archive/archive.errors';
export {
  ArchiveVerificationError,
  BackupNotFoundError,
  DatabaseSwapError,
  RestoreFailedError,
  RestoreNotConfirmedError,
  RestoreRequestError,
  RowCountMismatchError,
  SafetyBackupFailedError,
} from './restore/restore.errors';
export { ArchiveBindingError } from './restore/archive.binding';
export { FileConflictError } from './restore/files.plan';
export {
  DumpCancelledError,
  DumpFailedError,
  DumpRefusedError,
  InvalidConnectionError,
  LoadFailedError,
  ToolMissingError,
} from './sources/source.errors';
export {
  AllDestinationsFailedError,
  DestinationUnreachableError,
  InvalidKeyError,
  ObjectNotFoundError,
  UploadFailedError,
  UploadSizeMismatchError,
} from './destinations/destination.errors';
export { LockUnavailableError } from './lock/lock.errors';
export { HealthCheckConfigError } from './health/health.errors';
export { ChannelDeliveryError, NotifyConfigError } from './notify/notify.errors';
export { RetentionConfigError } from './retention/retention.error';
export { ScheduleConfigError } from './schedule/schedule.errors';
export {
  InvalidTenantIdError,
  TenantConfigError,
  TenantExportFailedError,
  TenantExportMismatchError,
  TenantRestoreFailedError,
  TenantRestoreNotConfirmedError,
  TenantSchemaChangedError,
  UnknownTenantError,
} from './tenant/tenant.errors';
export { AuditStoreError, AuditTableMissingError, ReportRequestError } from './audit/audit.errors';
export { AdminRequestError, AdminTokenError } from './admin/admin.errors';
