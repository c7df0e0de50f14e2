import { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { DEBIAN_PACKAGES, failureHint, spawnTool, StderrTail, ToolRunOptions } from '../db-tool';
import { Readable } from 'node:stream';
import { Redactor } from '../../common/redact';
import { DumpRefusedError, LoadFailedError, ToolMissingError } from '../source.errors';

/** `tool` names the client in messages: 'psql', 'mariadb' or 'mysql'. */
export type ClientSessionOptions = ToolRunOptions;

interface PendingJob {
  marker: string;
  tags: number[];
  resolve: (copyTags: number[]) => void;
  reject: (err: Error) => void;
}

/**
 * One long-lived SQL client of a parallel load (`psql -f -`, or `mariadb --batch --unbuffered`):
 * SQL is written to its stdin as jobs, each followed by `SELECT '<marker>'`; the job is done when
 * the client prints that marker (both flush after every result), and resolves with the `COPY n`
 * tags psql printed for it. The client stops at the first error (psql's ON_ERROR_STOP, the
 * mariadb client without --force), and every job still pending then rejects with its stderr.
 */
export class ClientSession {
  private readonly child: ChildProcess;
  private readonly pending: PendingJob[] = [];
  private readonly stderr = new StderrTail();
  private readonly token = randomBytes(8).toString('hex');
  private jobs = 0;
  private failure: Error | undefined;
  private readonly closed: Promise<void>;
  /** Bytes written whose job has not finished yet (where the next piece of work goes). */
  outstanding = 0;
  /** How many of the load's session settings this client has had (see ParallelPgLoad). */
  settingsSent = 0;

  constructor(private readonly o: ClientSessionOptions) {
    this.child = spawnTool(o.bin, o.args, o.env, ['pipe', 'pipe', 'pipe'], 'input');
    this.child.stdin!.on('error', () => undefined); // EPIPE when the client stops: its exit tells why
    this.child.stderr!.on('data', (c: Buffer) => this.stderr.push(c));
    let partial = '';
    this.child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.onLine(line);
    });
    this.closed = new Promise<void>((resolve) => {
      this.child.on('error', (err: NodeJS.ErrnoException) => {
        this.fail(err.code === 'ENOENT' ? new ToolMissingError(o.tool, DEBIAN_PACKAGES[o.tool] ?? o.tool) : err);
        resolve();
      });
      this.child.on('close', (code, signal) => {
        if (code !== 0) {
          const text = o.redactor.redact(this.stderr.toString());
          const how = code === null ? `was killed by ${signal}` : `exited with code ${code}`;
          this.fail(
            new LoadFailedError(
              `${o.tool} failed to load ${o.describe} (${how}): ${text || 'no message on stderr'}`,
              failureHint(text, o.where),
              text,
            ),
          );
        } else if (this.pending.length) {
          this.fail(
            new LoadFailedError(
              `${o.tool} ended before the load of ${o.describe} was complete`,
              'Run the restore again; check the server log if it recurs.',
            ),
          );
        }
        resolve();
      });
    });
  }

  /** The error that stopped this client, if one did. */
  get error(): Error | undefined {
    return this.failure;
  }

  /** Writes SQL without waiting for it (its errors surface through the next job or end()). */
  write(parts: Buffer | string | (Buffer | string)[]): boolean {
    let ok = true;
    for (const part of Array.isArray(parts) ? parts : [parts]) {
      if (part.length) ok = this.child.stdin!.write(part);
    }
    return ok;
  }

  /** Its stdin holds more than it takes (wait for drained() before writing more). */
  get full(): boolean {
    return !this.failure && this.child.stdin!.writableNeedDrain;
  }

  /**
   * Writes a job and its marker; resolves with the COPY tags psql printed for it. `delimiter`:
   * the statement end the client expects now (a mariadb dump's `DELIMITER ;;` sections).
   */
  run(parts: (Buffer | string)[], bytes: number, delimiter = ';'): Promise<number[]> {
    if (this.failure) return Promise.reject(this.failure);
    const marker = `nbsync-${this.token}-${++this.jobs}`;
    this.outstanding += bytes;
    const done = new Promise<number[]>((resolve, reject) => this.pending.push({ marker, tags: [], resolve, reject }));
    done
      .catch(() => undefined)
      .finally(() => {
        this.outstanding -= bytes;
      });
    this.write([...parts, `SELECT '${marker}' AS nb_sync${delimiter}\n`]);
    return done;
  }

  /** Resolves when the client's stdin takes more (or it has stopped). */
  drained(): Promise<void> {
    if (this.failure || !this.child.stdin!.writableNeedDrain) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        this.child.stdin!.off('drain', done);
        this.child.off('close', done);
        resolve();
      };
      this.child.stdin!.once('drain', done);
      this.child.once('close', done);
    });
  }

  /** Ends stdin and waits for the client to exit; rejects with its error if it failed. */
  async end(): Promise<void> {
    this.child.stdin!.end();
    await this.closed;
    if (this.failure) throw this.failure;
  }

  /** Resolves when the client has exited, whatever the reason. */
  exited(): Promise<void> {
    return this.closed;
  }

  /** Stops the client (another session failed, or the dump stream did). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
  }

  private onLine(line: string): void {
    const job = this.pending[0];
    if (!job) return;
    const tag = /^COPY (\d+)$/.exec(line);
    if (tag) job.tags.push(Number(tag[1]));
    else if (line.trim() === job.marker) {
      this.pending.shift();
      job.resolve(job.tags);
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const job of this.pending.splice(0)) job.reject(this.failure);
  }
}

/**
 * Runs a load over several sessions and ends them; if anything fails, stops them all and
 * rejects with the error that matters: the dump's refusal or a load failure as it is, else the
 * first client that stopped on its own (the others were killed for it), else the dump stream's.
 */
export async function loadOverSessions(
  sessions: ClientSession[],
  load: () => Promise<void>,
  sql: Readable,
  describe: string,
  redactor: Redactor,
): Promise<void> {
  try {
    await load();
    await Promise.all(sessions.map((s) => s.end()));
  } catch (err) {
    for (const s of sessions) s.kill();
    await Promise.all(sessions.map((s) => s.exited()));
    const first = sessions.map((s) => s.error).find((e) => e && !/was killed by SIGTERM/.test(e.message));
    if (err instanceof DumpRefusedError || err instanceof LoadFailedError) throw err;
    if (first && !(err instanceof Error && sql.errored)) throw first;
    throw new LoadFailedError(
      `Reading the dump for ${describe} failed: ${redactor.redact((err as Error).message)}`,
      'Check the archive with backup:verify.',
    );
  }
}
