/**
 * The demo web app as `npm run start` runs it (the compiled dist/apps/demo/src/main.js, which
 * `npm test` builds first), in a temp app folder on SQLite and the local disk, on a free port;
 * and the demo CLI beside it for the same folder, to compare the API with what it prints.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli, tempAppDir } from '../support/cli';

export const DEMO_WEB = path.resolve(__dirname, '../../dist/apps/demo/src/main.js');
export const ARCHIVE_PASSWORD = 'admin-e2e archive password: 7f3c9a1b5d2e8f40';
export const ADMIN_TOKEN = 'admin-e2e-token-4b8d2f6a1c9e3h7k5m0p';

/** What a user puts in .env for the demo (see scripts/demo.js), with a token for the API. */
export function demoEnv(appName: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    APP_NAME: appName,
    DB_URL: 'sqlite:storage/demo.sqlite',
    BACKUP_DISKS: 'local',
    BACKUP_LOCAL_ROOT: 'storage/backups',
    BACKUP_ARCHIVE_PASSWORD: ARCHIVE_PASSWORD,
    BACKUP_INCLUDE: 'storage/app',
    BACKUP_TENANT_FILES: 'storage/app/tenants/{tenant}/**',
    BACKUP_FAILURE_NOTIFICATIONS: '',
    BACKUP_HEALTH_NOTIFICATIONS: '',
    BACKUP_ADMIN_TOKEN: ADMIN_TOKEN,
    ...extra,
  };
}

/** The library's schedules, off unless a test sets them. */
const SCHEDULES_OFF = {
  BACKUP_SCHEDULE_RUN: 'off',
  BACKUP_SCHEDULE_CLEAN: 'off',
  BACKUP_SCHEDULE_MONITOR: 'off',
  BACKUP_SCHEDULE_VERIFY: 'off',
};

/** A running demo web app; `url` is the admin prefix (http://127.0.0.1:<port>/admin/backups). */
export class DemoWeb {
  output = '';
  readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (d) => (this.output += d));
    child.stderr?.on('data', (d) => (this.output += d));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  static spawn(env: Record<string, string>, cwd: string): DemoWeb {
    if (!fs.existsSync(DEMO_WEB)) throw new Error(`${DEMO_WEB} is missing: run \`npm run build\` first (npm test does)`);
    return new DemoWeb(
      spawn(process.execPath, [DEMO_WEB], {
        cwd,
        // PORT=0: the system picks a free port; the app prints the one it bound.
        // The demo web app opts in to the schedules, whose defaults fire at 02:00, 02:30 and
        // 03:00: a suite that ran across 02:00 counted the scheduled run beside its own.
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), PORT: '0', ...SCHEDULES_OFF, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
  }

  /** Starts the app and waits until it prints where the dashboard is. */
  static async start(env: Record<string, string>, cwd: string): Promise<DemoWeb & { url: string }> {
    const web = DemoWeb.spawn(env, cwd);
    const until = Date.now() + 60_000;
    for (;;) {
      const m = /Backup dashboard on (http:\/\/127\.0\.0\.1:\d+\/admin\/backups)/.exec(web.output);
      if (m) return Object.assign(web, { url: m[1] });
      if (web.child.exitCode !== null) throw new Error(`the demo app exited (${web.child.exitCode}):\n${web.output}`);
      if (Date.now() > until) throw new Error(`the demo app did not start in 60 s:\n${web.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** A demo app folder with its database seeded and `runs` backups made by the CLI. */
export async function seededApp(appName: string, runs: number): Promise<{ dir: string; env: Record<string, string>; cleanup: () => void }> {
  const app = tempAppDir(`nest-backup-${appName}-`);
  const env = demoEnv(appName);
  await cliOk(['demo:seed'], env, app.dir);
  for (let i = 0; i < runs; i++) {
    await cliOk(['backup:run'], env, app.dir);
    // Backups are named by the second: a pause keeps two runs from clashing.
    await new Promise((r) => setTimeout(r, 1100));
  }
  return { ...app, env };
}

/** Runs a CLI command and fails the test, with its output, when it does not exit 0. */
export async function cliOk(args: string[], env: Record<string, string>, cwd: string): Promise<string> {
  const r = await runCli(args, env, cwd);
  if (r.code !== 0) throw new Error(`${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Polls until `test` holds. */
export async function waitUntil(test: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
