import { ChildProcess, execFile, spawn, SpawnOptions } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { PassThrough, Readable, Transform } from 'node:stream';
import { finished } from 'node:stream/promises';
import { Redactor } from '../common/redact';
import { toolEnv } from './tool.env';
import { DumpFacts, DumpHandle } from './database-dumper.interface';
import { DumpCancelledError, DumpFailedError, DumpRefusedError, LoadFailedError, ToolMissingError } from './source.errors';

/** Where a tool comes from on Debian, for the "install it" hint. */
export const DEBIAN_PACKAGES: Record<string, string> = {
  pg_dump: 'postgresql-client',
  psql: 'postgresql-client',
  'mariadb-dump': 'mariadb-client',
  mysqldump: 'mariadb-client (or default-mysql-client)',
  mariadb: 'mariadb-client',
  mysql: 'mariadb-client (or default-mysql-client)',
};

/** The first of `names` found on PATH, or undefined. */
export function findOnPath(names: string[], path = process.env.PATH ?? ''): string | undefined {
  for (const name of names) {
    for (const dir of path.split(delimiter).filter(Boolean)) {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return join(dir, name);
      } catch {
        /* not here */
      }
    }
  }
  return undefined;
}

/** coreutils' stdbuf, looked up once. */
let stdbufPath: string | undefined | null = null;

/**
 * Spawns a client tool with 1 MiB C stdio buffers on its dump output (or its script input) when
 * coreutils' `stdbuf` is on PATH. pg_dump and mysqldump write their output through stdio in
 * 4-8 KiB pieces, so Node reads a 2.2 GB dump as 280,000 chunks (2.5 CPU-s in Node for the
 * reads alone, on a backup that is short of CPU); with the larger buffer it is 36,000 chunks
 * (0.5 CPU-s). stdbuf execs the tool itself (same pid, same signals). Only a tool given by a
 * path that exists is wrapped, so a missing tool is still ENOENT (ToolMissingError).
 */
export function spawnTool(
  bin: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  stdio: SpawnOptions['stdio'],
  buffer: 'output' | 'input',
): ChildProcess {
  if (stdbufPath === null) stdbufPath = process.platform === 'linux' ? findOnPath(['stdbuf']) : undefined;
  if (!stdbufPath || !isAbsolute(bin) || !existsSync(bin)) return spawn(bin, args, { env, stdio });
  return spawn(stdbufPath, [buffer === 'output' ? '-o1M' : '-i1M', bin, ...args], { env, stdio });
}

const versions = new Map<string, Promise<string>>();

/** `<bin> --version`, first line, cached per binary. Rejects with ToolMissingError if absent. */
export function toolVersion(bin: string, tool: string): Promise<string> {
  let version = versions.get(bin);
  if (!version) {
    version = new Promise<string>((resolve, reject) => {
      execFile(bin, ['--version'], { timeout: 15000, env: toolEnv() }, (err, stdout) => {
        if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') {
          reject(new ToolMissingError(tool, DEBIAN_PACKAGES[tool] ?? tool));
        } else if (err) reject(err);
        else resolve(stdout.trim().split('\n')[0]);
      });
    });
    versions.set(bin, version);
    version.catch(() => versions.delete(bin));
  }
  return version;
}

/** Keeps the last `limit` characters of a child's stderr: enough to explain a failure. */
export class StderrTail {
  private text = '';
  constructor(private readonly limit = 16384) {}
  push(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-this.limit);
  }
  toString(): string {
    return this.text.trim();
  }
}

/** What the operator can do about a tool's failure, guessed from its message. */
export function failureHint(stderr: string, where: string): string {
  if (
    /ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|connection refused|can't connect|could not connect|no such file or directory|unknown host|could not translate host|timeout expired|name or service not known/i.test(
      stderr,
    )
  ) {
    return `Is the database server running and reachable at ${where}? Check the DataSource host and port (or DB_URL).`;
  }
  if (/password authentication failed|access denied|authentication failed|no password supplied/i.test(stderr)) {
    return 'Check the username and password of the DataSource (the password itself is never logged).';
  }
  if (/does not exist|unknown database/i.test(stderr)) {
    return 'Check the database name of the DataSource.';
  }
  if (/permission denied|command denied|privilege/i.test(stderr)) {
    return 'Grant the backup user read access to every table (MySQL: SELECT, SHOW VIEW, TRIGGER, LOCK TABLES).';
  }
  return `Run the tool by hand against ${where} with the same user to see the full message.`;
}

/** How to run a database client tool (dump or load) and describe it in messages. */
export interface ToolRunOptions {
  /** Short tool name for messages and the Debian hint, e.g. "pg_dump". */
  tool: string;
  bin: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** e.g. `PostgreSQL database "app" on 127.0.0.1:5432` */
  describe: string;
  where: string;
  redactor: Redactor;
}

export interface ToolDumpOptions extends ToolRunOptions {
  /** Sees every byte of the dump on its way out and counts rows per table. */
  counter: Transform & { tables(): Record<string, number> };
  facts: Omit<DumpFacts, 'tool' | 'tables'>;
  /** Runs once, after the child is gone (success, failure or cancel). */
  cleanup?: () => Promise<void>;
}

/**
 * Runs a dump tool as a child process and exposes it as a DumpHandle: stdout streams through
 * the row counter to `stream` (backpressure reaches the tool; nothing is buffered whole), a
 * non-zero exit or spawn error destroys `stream` with a DumpFailedError and rejects `facts`.
 */
export function runToolDump(o: ToolDumpOptions, prepare: Promise<void> = Promise.resolve()): DumpHandle {
  const out = new PassThrough();
  const stderr = new StderrTail();
  let child: ChildProcess | undefined;
  let settled = false;
  let cancelled: Error | undefined;
  let resolveFacts!: (f: DumpFacts) => void;
  let rejectFacts!: (e: Error) => void;
  const facts = new Promise<DumpFacts>((res, rej) => {
    resolveFacts = res;
    rejectFacts = rej;
  });
  facts.catch(() => undefined); // the stream carries the error too; never an unhandled rejection

  let cleaned: Promise<void> | undefined;
  const cleanup = () => (cleaned ??= (o.cleanup?.() ?? Promise.resolve()).catch(() => undefined));

  const fail = (err: Error) => {
    if (settled) return;
    settled = true;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    out.destroy(err);
    void cleanup().then(() => rejectFacts(err));
  };

  const version = toolVersion(o.bin, o.tool);
  version.catch(() => undefined);

  void prepare
    .then(() => {
      // Settled already (cancelled, or the stream closed while the password file was written):
      // never start the tool, or it would stall writing into a destroyed stream.
      if (settled) return void cleanup();
      if (cancelled) throw cancelled;
      child = spawnTool(o.bin, o.args, o.env, ['ignore', 'pipe', 'pipe'], 'output');
      const proc = child;
      proc.stderr!.on('data', (c) => stderr.push(c));
      proc.on('error', (err: NodeJS.ErrnoException) => {
        fail(err.code === 'ENOENT' ? new ToolMissingError(o.tool, DEBIAN_PACKAGES[o.tool] ?? o.tool) : err);
      });
      proc.stdout!.pipe(o.counter).pipe(out, { end: false });
      const counted = finished(o.counter).then(
        () => true,
        () => false,
      );
      proc.on('close', async (code, signal) => {
        if (settled) return void cleanup();
        if (code !== 0) {
          const text = o.redactor.redact(stderr.toString());
          const how = code === null ? `was killed by ${signal}` : `exited with code ${code}`;
          return fail(
            new DumpFailedError(
              `${o.tool} failed for ${o.describe} (${how}): ${text || 'no message on stderr'}`,
              failureHint(text, o.where),
              text,
            ),
          );
        }
        await counted;
        if (settled) return;
        try {
          const tool = await version;
          settled = true;
          out.end();
          await cleanup();
          resolveFacts({ ...o.facts, tool, tables: o.counter.tables() } as DumpFacts);
        } catch (err) {
          fail(err as Error);
        }
      });
    })
    .catch((err) => fail(err));

  // A consumer that gives up (archive failed, destination aborted) stops the tool.
  out.on('close', () => {
    if (!settled) fail(new DumpCancelledError('the dump stream was closed before the end'));
  });

  return {
    stream: out,
    facts,
    cancel(reason?: Error) {
      cancelled = reason ?? new DumpCancelledError();
      fail(cancelled);
    },
  };
}

export interface ToolLoadOptions extends ToolRunOptions {
  /** Gets every line the tool prints on stdout (otherwise stdout is ignored). */
  onStdoutLine?: (line: string) => void;
}

/**
 * Holds an error the dump stream emits while a loader still prepares (its password file, a
 * probe of the client): a stream that fails then is destroyed, and piping it afterwards feeds the
 * client nothing and never ends (psql waited forever on a dump whose archive entry failed its
 * HMAC before the load began). Call the returned check right before piping: it throws that error.
 */
export function holdEarlyError(sql: Readable): () => void {
  let failed: Error | undefined;
  const hold = (err: Error) => {
    failed ??= err;
  };
  sql.on('error', hold);
  return () => {
    sql.off('error', hold);
    if (failed) throw failed;
    if (sql.destroyed)
      throw new LoadFailedError('The dump stream was closed before the load began', 'Check the archive with backup:verify.');
  };
}

/** Pipes `sql` into a client tool's stdin; rejects with LoadFailedError on a non-zero exit. */
export function runToolLoad(o: ToolLoadOptions, sql: Readable): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const stderr = new StderrTail();
    const child = spawnTool(o.bin, o.args, o.env, ['pipe', o.onStdoutLine ? 'pipe' : 'ignore', 'pipe'], 'input');
    if (o.onStdoutLine) {
      const onLine = o.onStdoutLine;
      let partial = '';
      child.stdout!.setEncoding('utf8').on('data', (text: string) => {
        const lines = (partial + text).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) onLine(line);
      });
    }
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      if (err) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        sql.unpipe(child.stdin!);
        reject(err);
      } else resolve();
    };
    child.stderr!.on('data', (c) => stderr.push(c));
    child.on('error', (err: NodeJS.ErrnoException) =>
      finish(err.code === 'ENOENT' ? new ToolMissingError(o.tool, DEBIAN_PACKAGES[o.tool] ?? o.tool) : err),
    );
    // EPIPE when the tool stops early: its exit code and stderr tell the real story.
    child.stdin!.on('error', () => undefined);
    sql.on('error', (err) =>
      finish(
        err instanceof DumpRefusedError
          ? err
          : new LoadFailedError(
              `Reading the dump for ${o.describe} failed: ${o.redactor.redact(err.message)}`,
              'Check the archive with backup:verify.',
            ),
      ),
    );
    sql.pipe(child.stdin!);
    child.on('close', (code, signal) => {
      if (code === 0) return finish();
      const text = o.redactor.redact(stderr.toString());
      const how = code === null ? `was killed by ${signal}` : `exited with code ${code}`;
      finish(
        new LoadFailedError(
          `${o.tool} failed to load ${o.describe} (${how}): ${text || 'no message on stderr'}`,
          failureHint(text, o.where),
          text,
        ),
      );
    });
  });
}
