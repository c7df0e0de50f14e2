import { AdminJobRunner } from './admin-job.runner';
import { AdminJobOutcome, AdminJobReporter, AdminJobRequest } from './admin-job.types';
import { InProcessJobQueue } from './in-process.job-queue';

/** A runner whose work the test drives: it reports a step, then waits to be released or stopped. */
class HeldRunner {
  release!: (outcome: AdminJobOutcome) => void;
  execute(_request: AdminJobRequest, reporter: AdminJobReporter): Promise<AdminJobOutcome> {
    reporter.progress({ step: 'working', bytes: 10 });
    return new Promise((resolve, reject) => {
      this.release = resolve;
      reporter.signal?.addEventListener('abort', () => reject(reporter.signal!.reason));
    });
  }
}

describe('InProcessJobQueue', () => {
  const request: AdminJobRequest = { kind: 'run', params: {}, caller: 'token' };

  it('runs a job at once, shows its progress, and keeps its result and state', async () => {
    const runner = new HeldRunner();
    const queue = new InProcessJobQueue(runner as unknown as AdminJobRunner);
    const job = await queue.enqueue(request);
    expect(job.state).toBe('running');
    expect((await queue.get(job.id))?.progress).toMatchObject({ step: 'working', bytes: 10 });
    runner.release({ ok: false, result: { ok: false, error: 'disk full' } });
    await new Promise((r) => setImmediate(r));
    expect(await queue.get(job.id)).toMatchObject({ state: 'failed', result: { error: 'disk full' }, caller: 'token' });
    expect((await queue.list()).map((j) => j.id)).toEqual([job.id]);
  });

  it('stops running jobs when the app shuts down, and records why', async () => {
    const queue = new InProcessJobQueue(new HeldRunner() as unknown as AdminJobRunner);
    const job = await queue.enqueue(request);
    await queue.beforeApplicationShutdown('SIGTERM');
    expect(await queue.get(job.id)).toMatchObject({ state: 'failed', error: expect.stringContaining('SIGTERM is shutting down') });
  });
});
