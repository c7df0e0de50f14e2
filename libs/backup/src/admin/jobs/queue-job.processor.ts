import { Injectable } from '@nestjs/common';
import { QueueWork } from '../../queue/backup.queue';
import { EACH_TENANT_JOB, TenantRunJob } from '../../tenant/export/each-tenant';
import { TenantExportService } from '../../tenant/export/tenant-export.service';
import { AdminJobRunner } from './admin-job.runner';
import { AdminJobOutcome, AdminJobProgress, AdminJobRequest } from './admin-job.types';

/** Progress is written to Redis at most this often, and at every new step. */
const PROGRESS_EVERY_MS = 1000;

/**
 * The work of a job taken from the shared queue by this instance's worker: an admin job
 * (AdminJobRunner.execute, as the in-process queue runs it) or one tenant of a queued
 * `backup:run --each-tenant`. Progress goes to Redis, where every instance reads it.
 */
@Injectable()
export class QueueJobProcessor {
  constructor(
    private readonly runner: AdminJobRunner,
    private readonly tenantExports: TenantExportService,
  ) {}

  process(work: QueueWork): Promise<AdminJobOutcome> {
    const report = throttledProgress(work);
    if (work.job.name === EACH_TENANT_JOB) return this.tenant(work.job.data as TenantRunJob, report);
    return this.runner.execute(work.job.data as AdminJobRequest, { signal: work.signal, progress: report });
  }

  private async tenant(job: TenantRunJob, report: (u: Partial<AdminJobProgress>) => void): Promise<AdminJobOutcome> {
    const result = await this.tenantExports.exportForRun(job, (step) => report({ step }));
    report({ step: result.ok ? 'done' : 'failed' });
    return { ok: result.ok, result };
  }
}

function throttledProgress(work: QueueWork): (update: Partial<Omit<AdminJobProgress, 'updatedAt'>>) => void {
  let current: AdminJobProgress = { step: null, bytes: null, uploaded: [], updatedAt: null };
  let written = 0;
  return (update) => {
    const newStep = update.step !== undefined && update.step !== current.step;
    current = { ...current, ...update, updatedAt: new Date().toISOString() };
    if (!newStep && Date.now() - written < PROGRESS_EVERY_MS) return;
    written = Date.now();
    // A lost progress write (Redis briefly away) is not a failed job.
    work.progress(current).catch(() => undefined);
  };
}
