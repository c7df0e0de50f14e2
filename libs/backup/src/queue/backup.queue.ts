import { BeforeApplicationShutdown, Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { Job, JobState, Queue, Worker } from 'bullmq';
import { hostname } from 'node:os';
import { BackupCancelledError } from '../backup/retry';
import { BackupError } from '../common/backup.error';
import { Redactor } from '../common/redact';
import { loadBullMq } from './bullmq.loader';
import { QUEUE_SETTINGS } from './queue.constants';
import { describeRedisUrl, QUEUE_URL_ENV, QueueSettings } from './queue.settings';

/** One job as its work and its readers see it, without BullMQ's types. */
export interface QueuedJob<T = unknown> {
  id: string;
  name: string;
  data: T;
  /** queued (waiting, delayed, waiting for a retry), running, completed, failed (for good). */
  state: 'queued' | 'running' | 'completed' | 'failed';
  /** Attempts that ended (failed, or stalled because their worker died). */
  attemptsMade: number;
  progress: unknown;
  returnValue: unknown;
  failedReason: string | null;
  /** The worker (host:pid) that took it last. */
  processedBy: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

/** What the work of one job gets: its data, a way to report progress, and a stop signal. */
export interface QueueWork {
  job: QueuedJob;
  progress(value: object): Promise<void>;
  /** Aborted when this instance shuts down: the job fails this attempt and is retried elsewhere. */
  signal: AbortSignal;
}

/** How long a shut-down instance waits for its stopped jobs to clean up. */
const SHUTDOWN_GRACE_MS = 30_000;
const KEEP_FINISHED = 1000;
/** How long a read or a write of the queue may wait for Redis before it is an error. */
const REDIS_ANSWER_MS = 10_000;
/** How long closing the Redis connections may take at shutdown. */
const CLOSE_MS = 5_000;

/**
 * The shared job queue: BullMQ on the Redis of BACKUP_QUEUE_REDIS_URL, loaded only when that is
 * set. Any instance adds jobs and reads their state; the instances that start a worker (the web
 * app with BackupAdminModule, `backup:worker`) run them, BACKUP_QUEUE_CONCURRENCY at a time each.
 * A job whose work throws is retried (BACKUP_QUEUE_ATTEMPTS in all, exponential backoff); a job
 * whose worker died is taken back by BullMQ's stalled-job check and run again by another worker.
 *
 * @example if (queue.configured) await queue.add('tenant', { tenantId: '3' });
 */
@Injectable()
export class BackupQueue implements BeforeApplicationShutdown {
  private readonly logger = new Logger('BackupQueue');
  private queue?: Queue;
  private worker?: Worker;
  private readonly running = new Map<string, AbortController>();
  private readonly redactor: Redactor;
  /** The last Redis error seen (redacted), logged once until it changes. */
  private lastError?: string;

  constructor(@Optional() @Inject(QUEUE_SETTINGS) private readonly settings?: QueueSettings | null) {
    this.redactor = new Redactor(settings ? [settings.url, safePassword(settings.url)] : []);
  }

  /** True when BACKUP_QUEUE_REDIS_URL is set: jobs go through Redis. */
  get configured(): boolean {
    return !!this.settings;
  }

  /** Where the queue lives, as it may be shown (no password). */
  describe(): string {
    const s = this.required();
    return `${describeRedisUrl(s.url)} (prefix ${s.prefix})`;
  }

  /** Adds a job, returns its id (BullMQ's). */
  async add(name: string, data: object): Promise<string> {
    const s = this.required();
    const job = await this.guard(`add a job (${name})`, () =>
      this.bullQueue().add(name, data, {
        attempts: s.attempts,
        backoff: { type: 'exponential', delay: s.backoffMs },
        removeOnComplete: { count: KEEP_FINISHED },
        removeOnFail: { count: KEEP_FINISHED },
      }),
    );
    return String(job.id);
  }

  async get(id: string): Promise<QueuedJob | undefined> {
    // State first, the job's hash after: a retry that fails between the two reads must not pair
    // a final "failed" with the previous attempt's count and reason.
    const state = await this.guard('read a job', () => this.bullQueue().getJobState(id));
    if (state === 'unknown') return undefined;
    const job = await this.guard('read a job', () => this.bullQueue().getJob(id));
    return job ? this.view(job, state) : undefined;
  }

  /** The newest jobs (any state), newest first. */
  async recent(limit = 100): Promise<QueuedJob[]> {
    const jobs = await this.guard('list jobs', () =>
      this.bullQueue().getJobs(['active', 'waiting', 'delayed', 'prioritized', 'completed', 'failed'], 0, limit - 1),
    );
    const views = await Promise.all(jobs.filter((j): j is Job => !!j).map((j) => this.view(j)));
    return views.sort((a, b) => b.createdAt - a.createdAt).slice(0, limit);
  }

  /** Workers connected to the queue now, on every instance (BullMQ's client list). */
  async workerCount(): Promise<number> {
    return this.guard('count the workers', () => this.bullQueue().getWorkersCount());
  }

  /**
   * Waits until every job is completed or failed for good, calling onFinished once per job as it
   * ends. Reads the state from Redis, so it follows jobs run by any instance.
   */
  async waitForAll(ids: string[], onFinished: (job: QueuedJob) => void, pollMs = 500): Promise<QueuedJob[]> {
    const done = new Map<string, QueuedJob>();
    while (done.size < ids.length) {
      for (const id of ids) {
        if (done.has(id)) continue;
        const job = await this.get(id);
        if (!job)
          throw new BackupError(
            `Job ${id} is gone from the queue`,
            'It was removed from Redis (by hand, or Redis lost its data); run the command again.',
          );
        if (job.state === 'completed' || job.state === 'failed') {
          done.set(id, job);
          onFinished(job);
        }
      }
      if (done.size < ids.length) await new Promise((r) => setTimeout(r, pollMs));
    }
    return ids.map((id) => done.get(id)!);
  }

  /** Starts this instance's worker (once): it runs jobs with `work` until the app shuts down. */
  startWorker(work: (w: QueueWork) => Promise<unknown>): void {
    const s = this.required();
    if (this.worker) return;
    const { Worker } = loadBullMq();
    const name = `${hostname()}:${process.pid}`;
    this.worker = new Worker(
      s.name,
      async (job: Job) => {
        const controller = new AbortController();
        this.running.set(String(job.id), controller);
        try {
          return await work({
            job: await this.view(job, 'active'),
            progress: (value) => job.updateProgress(value),
            signal: controller.signal,
          });
        } finally {
          this.running.delete(String(job.id));
        }
      },
      {
        connection: this.connection(),
        prefix: s.prefix,
        name,
        concurrency: s.concurrency,
        stalledInterval: s.stalledIntervalMs,
        lockDuration: s.lockDurationMs,
      },
    );
    this.worker.on('error', (err) => this.redisError(err));
    this.worker.on(
      'failed',
      (job, err) =>
        job && this.logger.warn(`Job ${job.id} (${job.name}) attempt ${job.attemptsMade} failed: ${this.redactor.redact(err.message)}`),
    );
    this.logger.log(`Worker ${name} takes jobs from ${this.describe()}, ${s.concurrency} at a time`);
  }

  /** Running jobs are stopped (each attempt fails and is retried elsewhere), then Redis is let go. */
  async beforeApplicationShutdown(signal?: string): Promise<void> {
    if (this.worker) {
      const stopping = this.running.size;
      if (stopping) this.logger.warn(`Stopping ${stopping} queued job(s) (${signal ?? 'shutdown'}); they are retried by another worker`);
      for (const c of this.running.values()) c.abort(new BackupCancelledError(`${signal ?? 'the app'} is shutting down`));
      await within(this.worker.close(), SHUTDOWN_GRACE_MS);
      this.worker = undefined;
    }
    if (this.queue) {
      const queue = this.queue;
      this.queue = undefined;
      // Redis unreachable: close() would wait for it; the connection is dropped instead.
      if (!(await within(queue.close(), CLOSE_MS))) await queue.disconnect().catch(() => undefined);
    }
  }

  private bullQueue(): Queue {
    if (!this.queue) {
      const s = this.required();
      const { Queue } = loadBullMq();
      this.queue = new Queue(s.name, { connection: this.connection(), prefix: s.prefix });
      this.queue.on('error', (err) => this.redisError(err));
    }
    return this.queue;
  }

  private connection() {
    return { url: this.required().url, maxRetriesPerRequest: null };
  }

  private required(): QueueSettings {
    if (!this.settings)
      throw new BackupError('No shared job queue is configured', `Set ${QUEUE_URL_ENV} (redis://host:6379) in every instance.`);
    return this.settings;
  }

  /** Connection errors repeat while ioredis reconnects: each distinct one is logged once. */
  private redisError(err: Error): void {
    const message = this.redactor.redact(err.message);
    if (message === this.lastError) return;
    this.lastError = message;
    this.logger.error(`Redis of the job queue (${this.describe()}): ${message}`);
  }

  /**
   * A queue call that fails, or gets no answer within 10 s (ioredis would wait for Redis
   * forever), is an error with the URL's password removed and a hint.
   */
  private async guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const silent = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${REDIS_ANSWER_MS / 1000} s${this.lastError ? ` (${this.lastError})` : ''}`)),
        REDIS_ANSWER_MS,
      );
    });
    try {
      return await Promise.race([fn(), silent]);
    } catch (err) {
      throw new BackupError(
        `Could not ${what} on the job queue at ${this.describe()}: ${this.redactor.redact((err as Error).message)}`,
        `Check that Redis is running and reachable, and that ${QUEUE_URL_ENV} is right.`,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /** `known` is BullMQ's own state name when the caller has read it already. */
  private async view(job: Job, known?: JobState | 'unknown'): Promise<QueuedJob> {
    const raw = known ?? (await job.getState());
    const state: QueuedJob['state'] =
      raw === 'active' ? 'running' : raw === 'completed' ? 'completed' : raw === 'failed' ? 'failed' : 'queued';
    return {
      id: String(job.id),
      name: job.name,
      data: job.data,
      state,
      attemptsMade: job.attemptsMade,
      progress: job.progress,
      returnValue: job.returnvalue ?? null,
      failedReason: job.failedReason ? this.redactor.redact(job.failedReason) : null,
      processedBy: job.processedBy ?? null,
      createdAt: job.timestamp,
      startedAt: job.processedOn ?? null,
      finishedAt: job.finishedOn ?? null,
    };
  }
}

/** True when `promise` settled within `ms` (its failure ignored), false when it did not. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms))),
  ]);
  clearTimeout(timer);
  return settled;
}

function safePassword(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}
