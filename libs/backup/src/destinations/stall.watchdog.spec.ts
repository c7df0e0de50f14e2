import { isTransient, TransferStalledError, withStallRetries } from './stall.watchdog';

const policy = { stallMs: 50, retries: 2, backoffMs: 5, endpoint: 'http://s3.test:9000' };

/** An attempt that never moves a byte: it only ends when its watchdog aborts it. */
const hang = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));

describe('withStallRetries', () => {
  it('aborts an attempt that makes no progress and tries again; a later success is returned', async () => {
    let tries = 0;
    const result = await withStallRetries(policy, 'uploading part 1 of app/x.zip', (watchdog) =>
      ++tries < 3 ? hang(watchdog.controller.signal) : Promise.resolve('etag'),
    );
    expect(result).toBe('etag');
    expect(tries).toBe(3);
  });

  it('after the last try a stall fails naming the stall, the endpoint and both settings', async () => {
    let tries = 0;
    const err = await withStallRetries(
      policy,
      'uploading part 1 of app/x.zip',
      (watchdog) => (tries++, hang(watchdog.controller.signal)),
    ).catch((e) => e);
    expect(tries).toBe(3);
    expect(err).toBeInstanceOf(TransferStalledError);
    expect(err.message).toMatch(
      /uploading part 1 of app\/x\.zip stalled: the S3 server at http:\/\/s3\.test:9000 moved no byte for 0\.05 s, 3 times in a row/,
    );
    expect(err.message).toMatch(/BACKUP_S3_STALL_SECONDS \(now 0\.05\) or BACKUP_S3_RETRIES \(now 2\)/);
  });

  it('progress keeps an attempt alive past the stall time', async () => {
    const result = await withStallRetries(policy, 'x', async (watchdog) => {
      for (let i = 0; i < 6; i++) {
        await new Promise((r) => setTimeout(r, 20));
        watchdog.kick();
      }
      if (watchdog.fired) throw new Error('fired');
      return 'done';
    });
    expect(result).toBe('done');
  });

  it('a refusal is not retried; a 5xx or a reset is', async () => {
    let tries = 0;
    const refused = Object.assign(new Error('Access Denied'), { $metadata: { httpStatusCode: 403 } });
    await expect(withStallRetries(policy, 'x', async () => (tries++, Promise.reject(refused)))).rejects.toBe(refused);
    expect(tries).toBe(1);
    expect(isTransient(Object.assign(new Error('x'), { $metadata: { httpStatusCode: 503 } }))).toBe(true);
    expect(isTransient(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
  });
});
