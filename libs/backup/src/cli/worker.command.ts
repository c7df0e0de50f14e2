import { Command, CommandRunner } from './command.decorators';
import { abortOnSignals } from '../backup/retry';
import { QueueJobProcessor } from '../admin/jobs/queue-job.processor';
import { BackupQueue } from '../queue/backup.queue';

/**
 * `backup:worker`: a process that only runs queued jobs (admin jobs, the tenants of a queued
 * `backup:run --each-tenant`) until SIGTERM/SIGINT, for instances that serve no admin API.
 */
@Command({ name: 'backup:worker', description: 'Run jobs of the shared queue (BACKUP_QUEUE_REDIS_URL) until stopped' })
export class WorkerCommand extends CommandRunner {
  constructor(
    private readonly queue: BackupQueue,
    private readonly processor: QueueJobProcessor,
  ) {
    super();
  }

  async run(): Promise<void> {
    const controller = new AbortController();
    const stopped = new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve()));
    const signals = abortOnSignals(controller, (sig) =>
      process.stderr.write(`${sig} received: stopping the worker (running jobs are retried elsewhere)…\n`),
    );
    try {
      this.queue.startWorker((work) => this.processor.process(work));
      process.stdout.write(`Worker started on ${this.queue.describe()}; stop it with SIGTERM or Ctrl-C.\n`);
      await stopped;
      await this.queue.beforeApplicationShutdown(signals.received);
    } finally {
      signals.dispose();
    }
  }
}
