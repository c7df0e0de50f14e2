import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AdminJobQueue } from './admin-job-queue.interface';
import { AdminJob, AdminJobRequest } from './admin-job.types';
import { AdminJobRunner } from './admin-job.runner';

/** Finished jobs kept for GET /jobs/:id; the oldest go first. */
const KEPT_JOBS = 100;

/**
 * Runs each job at once in this process and keeps its state in memory: the state is lost on
 * restart and other instances do not see it. A backup run still takes the cluster lock, so two
 * instances never back up at once.
 */
@Injectable()
export class InProcessJobQueue implements AdminJobQueue {
  private readonly logger = new Logger('BackupAdmin');
  private readonly jobs = new Map<string, AdminJob>();

  constructor(private readonly runner: AdminJobRunner) {}

  async enqueue(request: AdminJobRequest): Promise<AdminJob> {
    const job: AdminJob = {
      ...request,
      id: randomUUID(),
      state: 'queued',
      createdAt: new Date().toISOString(),
      startedAt: null,
      finishedAt: null,
      progress: { step: null, bytes: null, uploaded: [], updatedAt: null },
      result: null,
      error: null,
    };
    this.jobs.set(job.id, job);
    this.forgetOld();
    void this.execute(job);
    return structuredClone(job);
  }

  async get(id: string): Promise<AdminJob | undefined> {
    const job = this.jobs.get(id);
    return job && structuredClone(job);
  }

  async list(): Promise<AdminJob[]> {
    return [...this.jobs.values()].reverse().map((j) => structuredClone(j));
  }

  private async execute(job: AdminJob): Promise<void> {
    job.state = 'running';
    job.startedAt = new Date().toISOString();
    try {
      const outcome = await this.runner.execute(job, {
        progress: (update) => {
          job.progress = { ...job.progress, ...update, updatedAt: new Date().toISOString() };
        },
      });
      job.result = outcome.result;
      job.state = outcome.ok ? 'succeeded' : 'failed';
    } catch (err) {
      job.state = 'failed';
      job.error = err instanceof Error ? err.message : String(err);
      this.logger.warn(`Job ${job.id} (${job.kind}) failed: ${job.error}`);
    }
    job.finishedAt = new Date().toISOString();
  }

  private forgetOld(): void {
    for (const [id, job] of this.jobs) {
      if (this.jobs.size <= KEPT_JOBS) break;
      if (job.finishedAt) this.jobs.delete(id);
    }
  }
}
