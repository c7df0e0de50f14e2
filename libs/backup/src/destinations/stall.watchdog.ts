import { Readable, Transform } from 'node:stream';
import { UploadFailedError } from './destination.errors';

/** How long a transfer may make no progress, and how often it is tried again after that. */
export interface StallPolicy {
  /** No byte moved for this long: the request is aborted (BACKUP_S3_STALL_SECONDS × 1000). */
  stallMs: number;
  /** Tries after the first one (BACKUP_S3_RETRIES). */
  retries: number;
  /** First wait between tries; doubled each time. Default 1000 ms. */
  backoffMs?: number;
  /** Where the server is (host:port or "AWS S3 (region)"), for the message. */
  endpoint: string;
  /** Told before each new try, so a log shows a stall while it is being retried. */
  onRetry?(message: string): void;
}

export const DEFAULT_STALL_SECONDS = 20;
export const DEFAULT_S3_RETRIES = 3;

/** A transfer made no progress for the stall time on every try. */
export class TransferStalledError extends UploadFailedError {}

/**
 * A no-progress timer: `kick()` on every byte that moves; when nothing moved for `ms` the
 * controller is aborted. `pause()` while the consumer, not the server, is the slow side.
 */
export class Watchdog {
  readonly controller = new AbortController();
  fired = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ms: number) {
    this.kick();
  }

  kick(): void {
    if (this.fired) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.fired = true;
      this.controller.abort(new Error(`no progress for ${this.ms / 1000} s`));
    }, this.ms);
    this.timer.unref?.();
  }

  pause(): void {
    clearTimeout(this.timer);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

/**
 * Whether another try may help: a stall, a dropped connection, a 5xx or throttling answer. A
 * refused key or a missing bucket is not retried. (The SDK does not retry requests whose body
 * is a stream, which part uploads are so that progress can be seen, so this decides for them.)
 */
export function isTransient(err: unknown, depth = 0): boolean {
  if (depth > 4) return false;
  const e = (err ?? {}) as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; cause?: unknown };
  const status = e.$metadata?.httpStatusCode ?? 0;
  if (status >= 500 || status === 429) return true;
  if (['TimeoutError', 'RequestTimeout', 'SlowDown', 'Throttling', 'ThrottlingException'].includes(e.name ?? '')) return true;
  const text = `${e.code ?? ''} ${e.message ?? ''}`;
  return (
    /ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EAI_AGAIN|socket hang up|aborted/i.test(text) ||
    (e.cause !== undefined && e.cause !== err && isTransient(e.cause, depth + 1))
  );
}

/**
 * Runs `attempt` under a watchdog: aborted when it makes no progress for the stall time, and
 * tried again with exponential backoff (also after a transient error) up to `retries` times.
 * After the last try a stall becomes a TransferStalledError that names the endpoint and the
 * settings; any other error is rethrown as it came.
 */
export async function withStallRetries<T>(
  policy: StallPolicy,
  action: string,
  attempt: (watchdog: Watchdog, tryNumber: number) => Promise<T>,
  stopped: () => boolean = () => false,
): Promise<T> {
  const backoff = policy.backoffMs ?? 1000;
  for (let n = 0; ; n++) {
    const watchdog = new Watchdog(policy.stallMs);
    try {
      return await attempt(watchdog, n);
    } catch (err) {
      const last = n >= policy.retries || stopped();
      if (last || !(watchdog.fired || isTransient(err))) {
        if (watchdog.fired) throw stalledError(policy, action, n + 1);
        throw err;
      }
      const wait = backoff * 2 ** n;
      const why = watchdog.fired ? `moved no byte for ${policy.stallMs / 1000} s` : `failed (${(err as Error)?.message ?? String(err)})`;
      policy.onRetry?.(`${action} ${why}; trying again in ${wait / 1000} s (retry ${n + 1} of ${policy.retries})`);
      await new Promise((resolve) => setTimeout(resolve, wait));
    } finally {
      watchdog.stop();
    }
  }
}

export function stalledError(policy: StallPolicy, action: string, tries: number): TransferStalledError {
  const seconds = policy.stallMs / 1000;
  return new TransferStalledError(
    `${action} stalled: the S3 server at ${policy.endpoint} moved no byte for ${seconds} s, ${tries} time${tries === 1 ? '' : 's'} in a row`,
    `check that the server at ${policy.endpoint} is up and not overloaded (AWS_ENDPOINT); on a slow link raise BACKUP_S3_STALL_SECONDS (now ${seconds}) or BACKUP_S3_RETRIES (now ${policy.retries})`,
  );
}

/** `buffer` as a stream of 64 KiB chunks that kicks `watchdog` each time the socket takes one. */
export function progressBody(buffer: Buffer, watchdog: Watchdog, onBytes?: (n: number) => void): Readable {
  let offset = 0;
  return new Readable({
    highWaterMark: 64 * 1024,
    read() {
      watchdog.kick();
      if (offset >= buffer.length) return void this.push(null);
      const chunk = buffer.subarray(offset, offset + 64 * 1024);
      offset += chunk.length;
      onBytes?.(chunk.length);
      this.push(chunk);
    },
  });
}

/** What watchAnswer needs of an SDK command: its own middleware stack. */
interface WithMiddleware {
  middlewareStack: {
    addRelativeTo(middleware: never, options: { relation: 'after'; toMiddleware: string; name: string; override: boolean }): void;
  };
}

/**
 * Kicks `watchdog` when the answer to `command` starts and on every piece of its body. A long
 * CompleteMultipartUpload on AWS answers 200 at once and then sends spaces to keep the
 * connection open: that is progress, and is not cut off. A frozen server sends nothing.
 */
export function watchAnswer<C extends object>(command: C, watchdog: Watchdog): C {
  const middleware = (next: (args: unknown) => Promise<{ response: unknown }>) => async (args: unknown) => {
    const result = await next(args);
    watchdog.kick();
    const response = result.response as { body?: unknown };
    if (response?.body instanceof Readable) {
      const body = response.body;
      const tap = new Transform({
        transform(chunk, _encoding, done) {
          watchdog.kick();
          done(null, chunk);
        },
      });
      body.on('error', (err) => tap.destroy(err));
      response.body = body.pipe(tap);
    }
    return result;
  };
  (command as unknown as WithMiddleware).middlewareStack.addRelativeTo(middleware as never, {
    relation: 'after',
    toMiddleware: 'deserializerMiddleware',
    name: 'watchAnswer',
    override: true,
  });
  return command;
}
