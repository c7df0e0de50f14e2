import { Injectable } from '@nestjs/common';
import { withAuditCaller } from '../../audit/audit.caller';
import { BackupService } from '../../backup/backup.service';
import { exportPassword } from '../../cli/export-password';
import { BackupError } from '../../common/backup.error';
import { JobLock } from '../../lock/job.lock';
import { TenantExportService } from '../../tenant/export/tenant-export.service';
import { VerifyService } from '../../verify/verify.service';
import {
  AdminJobOutcome,
  AdminJobReporter,
  AdminJobRequest,
  RunJobParams,
  TenantExportJobParams,
  VerifyJobParams,
} from './admin-job.types';

/**
 * The work of each job kind: the same service calls as the CLI commands (backup:run,
 * backup:verify [--test-restore], backup:tenant-export), with the caller attached to the audit
 * records they write.
 */
@Injectable()
export class AdminJobRunner {
  constructor(
    private readonly backups: BackupService,
    private readonly jobLock: JobLock,
    private readonly verifier: VerifyService,
    private readonly tenantExports: TenantExportService,
  ) {}

  execute(request: AdminJobRequest, reporter: AdminJobReporter): Promise<AdminJobOutcome> {
    return withAuditCaller(request.caller, () => {
      switch (request.kind) {
        case 'run':
          return this.run(request.params as RunJobParams, reporter);
        case 'verify':
          return this.verify(request.params as VerifyJobParams, false, reporter);
        case 'test-restore':
          return this.verify(request.params as VerifyJobParams, true, reporter);
        case 'tenant-export':
          return this.tenantExport(request.params as TenantExportJobParams, reporter);
      }
    });
  }

  /** As the schedule runs it: under the cluster lock, notifications by the service itself. */
  private async run(params: RunJobParams, reporter: AdminJobReporter): Promise<AdminJobOutcome> {
    reporter.progress({ step: 'backing up' });
    const outcome = await this.jobLock.exclusive('run', (locked) =>
      this.backups.run({
        signal: reporter.signal,
        sweepTemporaryFiles: locked,
        onlyDb: params.onlyDb,
        onlyFiles: params.onlyFiles,
        onlyToDisk: params.onlyToDisk,
        disableNotifications: params.disableNotifications,
        onProgress: (bytes, uploaded) => reporter.progress({ bytes, uploaded: uploaded ?? [] }),
      }),
    );
    if (!outcome.ran)
      throw new BackupError(`Backup not started: ${outcome.reason}`, 'It is running elsewhere; try again when it has finished.');
    reporter.progress({ step: outcome.value.ok ? 'done' : 'failed' });
    return { ok: outcome.value.ok, result: outcome.value };
  }

  private async verify(params: VerifyJobParams, testRestore: boolean, reporter: AdminJobReporter): Promise<AdminJobOutcome> {
    reporter.progress({ step: testRestore ? 'verifying and test-restoring' : 'verifying' });
    const result = await this.verifier.verify({ name: params.name, all: params.all, disk: params.disk, testRestore });
    reporter.progress({ step: result.ok ? 'done' : 'failed' });
    return { ok: result.ok, result };
  }

  /** The export's own password, as the CLI reads it by default: BACKUP_TENANT_EXPORT_PASSWORD, if set. */
  private async tenantExport(params: TenantExportJobParams, reporter: AdminJobReporter): Promise<AdminJobOutcome> {
    const report = await this.tenantExports.export({
      tenantId: params.tenantId,
      disk: params.disk,
      password: await exportPassword({}),
      onStep: (step) => reporter.progress({ step }),
    });
    reporter.progress({ step: 'done' });
    return { ok: true, result: report };
  }
}
