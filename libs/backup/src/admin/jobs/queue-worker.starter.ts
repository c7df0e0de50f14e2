import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { BackupQueue } from '../../queue/backup.queue';
import { QueueJobProcessor } from './queue-job.processor';

/**
 * With the shared queue configured, every app instance that mounts the admin API runs a worker
 * (BACKUP_QUEUE_CONCURRENCY jobs at a time): a job started on any instance runs on one of them.
 */
@Injectable()
export class QueueWorkerStarter implements OnApplicationBootstrap {
  constructor(
    private readonly queue: BackupQueue,
    private readonly processor: QueueJobProcessor,
  ) {}

  onApplicationBootstrap(): void {
    if (this.queue.configured) this.queue.startWorker((work) => this.processor.process(work));
  }
}
