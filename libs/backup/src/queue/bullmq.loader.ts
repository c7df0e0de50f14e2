import type * as BullMq from 'bullmq';
import { optionalDriver } from '../common/optional-driver';

/** bullmq (and the ioredis it connects with) loaded only when BACKUP_QUEUE_REDIS_URL is set. */
export function loadBullMq(): typeof BullMq {
  optionalDriver('ioredis', 'The shared job queue (BACKUP_QUEUE_REDIS_URL)');
  return optionalDriver<typeof BullMq>('bullmq', 'The shared job queue (BACKUP_QUEUE_REDIS_URL)');
}
