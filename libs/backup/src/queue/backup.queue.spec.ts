import type { Queue } from 'bullmq';
import { BackupQueue } from './backup.queue';
import { queueSettingsFromEnv } from './queue.settings';

/** A job's state and hash as Redis holds them at one moment. */
interface Moment {
  state: string;
  attemptsMade: number;
  failedReason?: string;
}

/**
 * A queue whose one job moves on by a moment at every read, the way a retry that fails between
 * two Redis reads does: the first read sees the first attempt waiting for its retry, the next
 * one the second attempt failed for good.
 */
function movingQueue(moments: Moment[]): Queue {
  let at = 0;
  const read = (): Moment => moments[Math.min(at++, moments.length - 1)];
  const job = (m: Moment) => ({
    id: '7',
    name: 'tenant',
    data: { tenantId: '4' },
    timestamp: 1,
    attemptsMade: m.attemptsMade,
    failedReason: m.failedReason,
    getState: async () => read().state,
  });
  return { getJobState: async () => read().state, getJob: async () => job(read()) } as unknown as Queue;
}

describe('BackupQueue job reads', () => {
  const moments: Moment[] = [
    { state: 'delayed', attemptsMade: 1, failedReason: 'attempt 1 broke' },
    { state: 'failed', attemptsMade: 2, failedReason: 'attempt 2 broke' },
  ];

  function queueOn(fake: Queue): BackupQueue {
    const queue = new BackupQueue(queueSettingsFromEnv({ BACKUP_QUEUE_REDIS_URL: 'redis://127.0.0.1:6379' }));
    (queue as unknown as { queue: Queue }).queue = fake;
    return queue;
  }

  it("never reports a job failed for good with an earlier attempt's count and reason", async () => {
    const queue = queueOn(movingQueue(moments));
    const seen = await queue.waitForAll(['7'], () => undefined, 1);
    expect(seen[0]).toMatchObject({ state: 'failed', attemptsMade: 2, failedReason: 'attempt 2 broke' });
  });

  it("maps BullMQ's states to the four a reader sees, and a job Redis does not know to undefined", async () => {
    const one = (state: string) => queueOn(movingQueue([{ state, attemptsMade: 0 }])).get('7');
    expect((await one('active'))?.state).toBe('running');
    expect((await one('waiting'))?.state).toBe('queued');
    expect((await one('delayed'))?.state).toBe('queued');
    expect((await one('completed'))?.state).toBe('completed');
    expect((await one('failed'))?.state).toBe('failed');
    expect(await one('unknown')).toBeUndefined();
  });
});
