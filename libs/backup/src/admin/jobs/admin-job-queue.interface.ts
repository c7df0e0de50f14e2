import { AdminJob, AdminJobRequest } from './admin-job.types';

/**
 * Where jobs started over the admin API go. The shipped InProcessJobQueue runs them in the
 * process that took the request; a shared queue (BullMQ on Redis, say) can replace it under the
 * ADMIN_JOB_QUEUE token: requests and jobs are plain JSON, and the work itself is
 * AdminJobRunner.execute(request, reporter), which a queue's worker calls the same way.
 */
export interface AdminJobQueue {
  /** Accepts the job and returns at once (state queued or running). */
  enqueue(request: AdminJobRequest): Promise<AdminJob>;
  get(id: string): Promise<AdminJob | undefined>;
  /** Recent jobs, newest first. */
  list(): Promise<AdminJob[]>;
}
