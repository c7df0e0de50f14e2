/**
 * Real processes for the schedule tests: the demo web app (dist/apps/demo/src/main.js, built
 * by `npm test`) started several times, and a process that holds the backup lock until killed.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConnectionInfo } from '../../libs/backup/src/sources/connection-info';

const DIST = path.resolve(__dirname, '../../dist');
export const DEMO_WEB = path.join(DIST, 'apps/demo/src/main.js');
const LOCK_DIST = path.resolve(__dirname, '../../libs/backup/dist/lock/lock.factory.js');

export function dbUrl(c: ConnectionInfo): string {
  if (c.driver === 'sqlite') return `sqlite:${c.database}`;
  const auth = c.password ? `${c.username}:${encodeURIComponent(c.password)}` : c.username;
  return `${c.driver === 'postgres' ? 'postgres' : 'mysql'}://${auth}@${c.host}:${c.port}/${c.database}`;
}

/** A child process whose output is collected; `waitFor` polls it. */
export class Proc {
  out = '';
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (d) => (this.out += d));
    child.stderr?.on('data', (d) => (this.out += d));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.child.pid!;
  }

  count(re: RegExp): number {
    return this.out.split('\n').filter((l) => re.test(l)).length;
  }

  async waitFor(test: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!test()) {
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(`process ${this.pid} exited while waiting for ${what}:\n${this.out}`);
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}; output so far:\n${this.out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Stops the process if still running (SIGKILL after `graceMs`). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** The demo web app with exactly `env` (plus PATH and HOME), listening on a random port. */
export function startDemoWeb(env: Record<string, string>, cwd: string): Proc {
  if (!fs.existsSync(DEMO_WEB)) throw new Error(`${DEMO_WEB} is missing: run \`npm run build\` first (npm test does)`);
  return new Proc(
    spawn(process.execPath, [DEMO_WEB], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

/** A process that takes the lock chosen for `connection` on `key` and holds it until killed. */
export async function startLockHolder(connection: ConnectionInfo, key: string): Promise<Proc> {
  const script = `
    const { lockForConnection } = require(${JSON.stringify(LOCK_DIST)});
    const lock = lockForConnection(JSON.parse(process.env.CONN));
    lock.tryAcquire(process.env.KEY, 3600000).then((got) => {
      process.stdout.write(got ? 'HELD\\n' : 'BUSY\\n');
      setInterval(() => undefined, 1000);
    }, (err) => { process.stdout.write('ERROR ' + err.message + '\\n'); process.exit(1); });`;
  const proc = new Proc(
    spawn(process.execPath, ['-e', script], {
      env: { PATH: process.env.PATH ?? '', CONN: JSON.stringify(connection), KEY: key },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  await proc.waitFor(() => /HELD|BUSY|ERROR/.test(proc.out), 'the lock holder');
  if (!proc.out.includes('HELD')) throw new Error(`lock holder could not take the lock: ${proc.out}`);
  return proc;
}
