import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { BackupCancelledError } from '../../backup/retry';
import { AdminJobQueue } from './admin-job-queue.interface';
import { AdminJob, AdminJobRequest } from './admin-job.types';
import { AdminJobRunner } from './admin-job.runner';

/** Finished jobs kept for GET /jobs/:id; the oldest go first. */
const KEPT_JOBS = 100;
/** How long shutdown waits for stopped jobs to clean up and record their end. */
const SHUTDOWN_GRACE_MS = 30_000;

/**
 * Runs each job at once in this process and keeps its state in memory: the state is lost on
 * restart and other instances do not see it. A backup run still takes the cluster lock, so two
 * instances never back up at once. On shutdown, running jobs are stopped (a run cleans up and
 * records its failure, as a scheduled one does) and awaited for up to 30 s.
 *
 * @example const job = await queue.enqueue({ kind: 'run', params: {}, caller: 'token' });
 */
@Injectable()
export class InProcessJobQueue implements AdminJobQueue, BeforeApplicationShutdown {
  private readonly logger = new Logger('BackupAdmin');
  private readonly jobs = new Map<string, AdminJob>();
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();

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
    const controller = new AbortController();
    const done = this.execute(job, controller.signal).finally(() => this.running.delete(job.id));
    this.running.set(job.id, { controller, done });
    return structuredClone(job);
  }

  async get(id: string): Promise<AdminJob | undefined> {
    const job = this.jobs.get(id);
    return job && structuredClone(job);
  }

  async list(): Promise<AdminJob[]> {
    return [...this.jobs.values()].reverse().map((j) => structuredClone(j));
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    const running = [...this.running.values()];
    if (!running.length) return;
    this.logger.warn(`Stopping ${running.length} admin job(s) (${signal ?? 'shutdown'})`);
    for (const r of running) r.controller.abort(new BackupCancelledError(`${signal ?? 'the app'} is shutting down`));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(running.map((r) => r.done)),
      new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_GRACE_MS))),
    ]);
    clearTimeout(timer);
  }

  private async execute(job: AdminJob, signal: AbortSignal): Promise<void> {
    job.state = 'running';
    job.startedAt = new Date().toISOString();
    try {
      const outcome = await this.runner.execute(job, {
        signal,
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
