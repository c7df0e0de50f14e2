import { Writable } from 'node:stream';
import { ClientSession } from './client.session';
import { GuardMark } from '../dump-guard';

/**
 * What the parallel loads of PostgreSQL and MariaDB share: a Writable fed by a DumpGuard and
 * its marks (where a statement, a COPY header or a COPY block ends), and the sessions' work.
 * Ordered SQL goes to the first session; jobs go to the least busy session whose stdin takes
 * more (so each holds at most about one job in memory), each preceded by the load's settings it
 * has not had yet; jobs running side by side are awaited before anything ordered.
 */
export abstract class ParallelLoad extends Writable {
  private readonly marks: GuardMark[] = [];
  private position = 0;
  private readonly settings: string[] = [];
  private running: Promise<unknown>[] = [];
  /** Something was written to the first session since it last reported done. */
  protected firstBusy = false;

  constructor(protected readonly sessions: ClientSession[]) {
    super({ highWaterMark: 1024 * 1024 });
  }

  /** For the DumpGuard's onMark. */
  readonly onMark = (mark: GuardMark): void => {
    this.marks.push(mark);
  };

  /** Bytes of the dump up to the next mark (or the end of a chunk). */
  protected abstract take(bytes: Buffer): Promise<void> | void;
  /** The bytes taken so far end where the DumpGuard marked `kind`. */
  protected abstract atMark(kind: GuardMark['kind']): Promise<void>;
  /** The dump has ended: what is pending goes out, and everything is awaited. */
  protected abstract finish(): Promise<void>;

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.consume(chunk).then(() => done(), done);
  }

  override _final(done: (err?: Error | null) => void): void {
    this.finish().then(() => done(), done);
  }

  private async consume(chunk: Buffer): Promise<void> {
    let at = 0;
    while (this.marks.length && this.marks[0].offset <= this.position + chunk.length) {
      const mark = this.marks.shift()!;
      const cut = mark.offset - this.position;
      if (cut > at) await this.take(chunk.subarray(at, cut));
      at = cut;
      await this.atMark(mark.kind);
    }
    if (at < chunk.length) await this.take(chunk.subarray(at));
    this.position += chunk.length;
  }

  /** A setting every session needs: run on the first now, given to each other one before its next job. */
  protected setting(text: string): Promise<void> {
    this.settings.push(text.endsWith('\n') ? text : text + '\n');
    this.sessions[0].settingsSent = this.settings.length;
    return this.writeFirst(text);
  }

  protected async writeFirst(text: string): Promise<void> {
    const first = this.sessions[0];
    this.firstBusy = true;
    this.throwIfFailed();
    if (!first.write(text)) await first.drained();
    this.throwIfFailed();
  }

  /** Waits until the first session has run everything written to it. */
  protected async settleFirst(delimiter = ';'): Promise<void> {
    await this.sessions[0].run([], 0, delimiter);
    this.firstBusy = false;
  }

  protected async settleRunning(): Promise<void> {
    const running = this.running;
    this.running = [];
    await Promise.all(running);
  }

  /** Runs a job on the least busy session whose stdin takes more; waits only while every one is full. */
  protected async dispatch(parts: (Buffer | string)[], bytes: number, onDone: (tags: number[]) => void = () => undefined): Promise<void> {
    let session: ClientSession | undefined;
    for (;;) {
      this.throwIfFailed();
      session = undefined;
      for (const s of this.sessions) if (!s.full && (!session || s.outstanding < session.outstanding)) session = s;
      if (session) break;
      await Promise.race(this.sessions.map((s) => s.drained()));
    }
    const settings = this.settings.slice(session.settingsSent);
    session.settingsSent = this.settings.length;
    const tracked = session.run([...settings, ...parts], bytes).then(onDone);
    tracked.catch(() => undefined);
    this.running.push(tracked);
    if (this.running.length > 64) this.running = [Promise.all(this.running)];
  }

  private throwIfFailed(): void {
    const failed = this.sessions.find((s) => s.error);
    if (failed) throw failed.error;
  }
}
