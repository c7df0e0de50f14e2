import { BackupQueue, QueuedJob } from '../../queue/backup.queue';
import { EACH_TENANT_JOB, TenantRunJob } from '../../tenant/export/each-tenant';
import { AdminJobQueue } from './admin-job-queue.interface';
import { ADMIN_JOB_KINDS, AdminJob, AdminJobOutcome, AdminJobProgress, AdminJobRequest } from './admin-job.types';

const NO_PROGRESS: AdminJobProgress = { step: null, bytes: null, uploaded: [], updatedAt: null };

/**
 * Admin jobs through the shared queue (BACKUP_QUEUE_REDIS_URL): a job started on one instance
 * runs once on whichever instance's worker takes it, and every instance reads its state and
 * progress from Redis. Job ids are BullMQ's. The tenants of a queued `backup:run --each-tenant`
 * are listed too, as tenant-export jobs.
 *
 * @example const job = await queue.enqueue({ kind: 'verify', params: {}, caller: 'token' });
 */
export class BullMqJobQueue implements AdminJobQueue {
  constructor(private readonly queue: BackupQueue) {}

  async enqueue(request: AdminJobRequest): Promise<AdminJob> {
    const id = await this.queue.add(request.kind, { kind: request.kind, params: request.params, caller: request.caller });
    const job = await this.queue.get(id);
    return job
      ? toAdminJob(job)!
      : {
          ...request,
          id,
          state: 'queued',
          createdAt: new Date().toISOString(),
          startedAt: null,
          finishedAt: null,
          progress: NO_PROGRESS,
          result: null,
          error: null,
        };
  }

  async get(id: string): Promise<AdminJob | undefined> {
    const job = await this.queue.get(id);
    return job ? toAdminJob(job) : undefined;
  }

  async list(): Promise<AdminJob[]> {
    return (await this.queue.recent(100)).map(toAdminJob).filter((j): j is AdminJob => !!j);
  }
}

/** A queued job as the admin API shows it (undefined for a job of another kind). */
export function toAdminJob(job: QueuedJob): AdminJob | undefined {
  let request: AdminJobRequest;
  if (job.name === EACH_TENANT_JOB) {
    const data = job.data as TenantRunJob;
    request = { kind: 'tenant-export', params: { tenantId: data.tenantId, disk: data.disk }, caller: 'backup:run --each-tenant' };
  } else if ((ADMIN_JOB_KINDS as readonly string[]).includes(job.name)) {
    request = job.data as AdminJobRequest;
  } else {
    return undefined;
  }
  const outcome = job.returnValue as AdminJobOutcome | null;
  const state =
    job.state === 'queued'
      ? 'queued'
      : job.state === 'running'
        ? 'running'
        : job.state === 'completed' && outcome?.ok
          ? 'succeeded'
          : 'failed';
  const progress =
    job.progress && typeof job.progress === 'object' ? { ...NO_PROGRESS, ...(job.progress as Partial<AdminJobProgress>) } : NO_PROGRESS;
  const iso = (t: number | null) => (t ? new Date(t).toISOString() : null);
  return {
    kind: request.kind,
    params: request.params,
    caller: request.caller,
    id: job.id,
    state,
    createdAt: new Date(job.createdAt).toISOString(),
    startedAt: iso(job.startedAt),
    finishedAt: state === 'succeeded' || state === 'failed' ? iso(job.finishedAt) : null,
    progress,
    result: outcome?.result ?? null,
    error: job.state === 'failed' ? job.failedReason : null,
  };
}
