import { Type } from '@nestjs/common';
import { CleanCommand } from './clean.command';
import { exitNonZeroOnError } from './exit-code';
import { ListCommand } from './list.command';
import { MonitorCommand } from './monitor.command';
import { ReportCommand } from './report.command';
import { RestoreCommand } from './restore.command';
import { RunCommand } from './run.command';
import { TenantExportCommand } from './tenant-export.command';
import { TenantRestoreCommand } from './tenant-restore.command';
import { TenantsCommand } from './tenants.command';
import { VerifyCommand } from './verify.command';
import { WorkerCommand } from './worker.command';
import { AdminJobRunner } from '../admin/jobs/admin-job.runner';
import { QueueJobProcessor } from '../admin/jobs/queue-job.processor';

/**
 * Every command the library ships, each wrapped once so it sets its own exit code. The CLI entry
 * points (`nest-backup/nest-commander`, `nest-backup/nestjs-command`) provide these; BackupModule
 * does not, so a web process never loads a CLI package.
 */
export const LIBRARY_COMMANDS: Type[] = [
  RunCommand,
  ListCommand,
  CleanCommand,
  MonitorCommand,
  RestoreCommand,
  VerifyCommand,
  TenantsCommand,
  TenantExportCommand,
  TenantRestoreCommand,
  ReportCommand,
  WorkerCommand,
];
LIBRARY_COMMANDS.forEach(exitNonZeroOnError);

/** What the commands need beyond BackupModule's services: the work of queued jobs (backup:worker). */
export const COMMAND_SERVICES: Type[] = [AdminJobRunner, QueueJobProcessor];
