/**
 * SIGTERM in the middle of a large backup (a deploy at 02:05), to local disk and s3rver at
 * once: the process exits within seconds, no dump process is left, no temporary file stays on
 * the local disk, no object in the bucket, and the failure notification reaches the webhook.
 * Once through `backup:run` by hand, once through the web app's scheduled run.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as os from 'node:os';
import { CLI, listFiles, tempAppDir } from '../support/cli';
import { ADMIN, runSql, uniqueName } from '../support/databases';
import { HttpReceiver, startHttpReceiver } from '../support/receivers';
import { startS3Server, TestS3Server } from '../support/s3.server';
import { dbUrl, Proc, startDemoWeb } from './instances.fixtures';

const PASSWORD = 'correct-horse-battery-staple-0123456789';
const SECRET = 'whsec-shutdown-7a1d0c';

/** Pids of every descendant of `pid` with their command names. */
function descendants(pid: number): Array<{ pid: number; comm: string }> {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,comm='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .map(([p, pp, comm]) => ({ pid: Number(p), ppid: Number(pp), comm }));
  const out: Array<{ pid: number; comm: string }> = [];
  const walk = (parent: number) => {
    for (const r of rows.filter((x) => x.ppid === parent)) {
      out.push({ pid: r.pid, comm: r.comm });
      walk(r.pid);
    }
  };
  walk(pid);
  return out;
}

/** DROP … WITH (FORCE), retried while sessions still end; throws if the database is still there. */
async function dropUntilGone(name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await runSql(ADMIN.postgres, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } catch (err) {
      if (attempt >= 5) throw err;
    }
    const left = await runSql(ADMIN.postgres, 'SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (left.length === 0) return;
    if (attempt >= 5) throw new Error(`The test database "${name}" is still there after ${attempt} DROPs; drop it by hand`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('SIGTERM during a large backup to local disk and s3rver', () => {
  let s3: TestS3Server;
  let webhook: HttpReceiver;
  // Named before it exists, so afterAll drops it by name whatever failed or timed out in
  // beforeAll (a database created while the S3 server failed to start was never dropped).
  const bigName = uniqueName('big');
  const db = { connection: { ...ADMIN.postgres, name: 'default', database: bigName } };

  beforeAll(async () => {
    await runSql(ADMIN.postgres, `CREATE DATABASE "${bigName}"`);
    [s3, webhook] = await Promise.all([startS3Server({ bucket: 'backups' }), startHttpReceiver()]);
    // ~450 MB of dump: pg_dump is still streaming when the signal arrives, and a backup of it
    // takes well over the 2 s timeout below (150 MB took under 2 s once dumps were read in 1 MiB pieces).
    await runSql(
      db.connection,
      `CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g + 1)::text) || md5((g + 2)::text) || md5((g + 3)::text) AS payload
       FROM generate_series(1, 3300000) g`,
    );
  });

  afterAll(async () => {
    // The 534 MB database first and on its own: a failing stop() of the servers must not keep it.
    try {
      await dropUntilGone(bigName);
    } finally {
      await Promise.allSettled([s3?.stop(), webhook?.stop()]);
    }
  });

  const envFor = (appName: string) => ({
    DB_URL: dbUrl(db.connection),
    BACKUP_NAME: appName,
    BACKUP_DISKS: 'local,s3',
    BACKUP_ARCHIVE_PASSWORD: PASSWORD,
    BACKUP_COMPRESSION_LEVEL: '9',
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_DEFAULT_REGION: s3.region,
    AWS_BUCKET: s3.bucket,
    AWS_ENDPOINT: s3.endpoint,
    AWS_USE_PATH_STYLE_ENDPOINT: 'true',
    BACKUP_S3_PART_SIZE_MB: '5',
    BACKUP_FAILURE_NOTIFICATIONS: 'webhook',
    BACKUP_HEALTH_NOTIFICATIONS: '',
    BACKUP_WEBHOOK_URL: `${webhook.url}/hooks/backup`,
    BACKUP_WEBHOOK_SECRET: SECRET,
  });

  /** Waits until pg_dump runs under `proc` and archive bytes reach the local disk, then SIGTERMs. */
  async function interrupt(
    proc: Proc,
    dir: string,
    appName: string,
  ): Promise<{ dumpPids: number[]; exit: { code: number | null; signal: string | null }; ms: number }> {
    let dumpPids: number[] = [];
    await proc.waitFor(
      () => {
        dumpPids = descendants(proc.pid)
          .filter((d) => d.comm.startsWith('pg_dump'))
          .map((d) => d.pid);
        const part = listFiles(dir).find((f) => f.startsWith(`storage/backups/${appName}/`) && f.endsWith('.part'));
        return dumpPids.length > 0 && !!part;
      },
      'pg_dump running and a .part file on the local disk',
      60_000,
    );
    const started = Date.now();
    proc.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      proc.exited,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no exit 15 s after SIGTERM:\n${proc.out}`)), 15_000))),
    ]).finally(() => clearTimeout(timer));
    return { dumpPids, exit, ms: Date.now() - started };
  }

  async function expectNothingLeft(dir: string, appName: string, dumpPids: number[], requestsBefore: number): Promise<void> {
    for (const pid of dumpPids) expect(alive(pid)).toBe(false);
    expect(listFiles(dir).filter((f) => f.startsWith('storage/backups/'))).toEqual([]);
    expect(await s3.listKeys(`${appName}/`)).toEqual([]);
    const requests = (await webhook.waitForRequests(requestsBefore + 1, 10_000)).slice(requestsBefore);
    const failed = requests.filter((r) => r.headers['x-backup-event'] === 'backup.failed');
    expect(failed.length).toBeGreaterThanOrEqual(1);
    for (const r of failed) {
      expect(r.body).toMatchObject({ event: 'backup.failed', appName });
      expect(JSON.stringify(r.body)).toMatch(/cancelled/);
      expect(r.rawBody).not.toContain(PASSWORD);
      expect(r.rawBody).not.toContain(s3.secretAccessKey);
    }
  }

  it('backup:run started by hand: exits non-zero within seconds and leaves nothing behind', async () => {
    const app = tempAppDir('nest-backup-sigterm-');
    try {
      const appName = 'sigterm-cli';
      const before = webhook.requests.length;
      const proc = new Proc(
        spawn(process.execPath, [CLI, 'backup:run', '--only-db'], {
          cwd: app.dir,
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), ...envFor(appName) },
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
      try {
        const { dumpPids, exit, ms } = await interrupt(proc, app.dir, appName);
        expect(ms).toBeLessThan(10_000);
        expect(exit.code).toBe(143);
        expect(proc.out).toMatch(/SIGTERM received: stopping the backup/);
        expect(proc.out).toMatch(/Backup FAILED/);
        await expectNothingLeft(app.dir, appName, dumpPids, before);
      } finally {
        await proc.stop('SIGKILL');
      }
    } finally {
      app.cleanup();
    }
  });

  it('--timeout: the run is stopped when its time is up, the dump killed, nothing kept, the failure reported', async () => {
    const app = tempAppDir('nest-backup-timeout-');
    try {
      const appName = 'timeout-cli';
      const before = webhook.requests.length;
      const proc = new Proc(
        spawn(process.execPath, [CLI, 'backup:run', '--only-db', '--timeout', '2'], {
          cwd: app.dir,
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), ...envFor(appName) },
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
      try {
        const seen = new Set<number>();
        await proc.waitFor(() => {
          for (const d of descendants(proc.pid)) if (d.comm.startsWith('pg_dump')) seen.add(d.pid);
          return seen.size > 0;
        }, 'pg_dump to start');
        const exit = await proc.exited;
        expect(exit.code).toBe(1);
        expect(proc.out).toMatch(/took longer than 2 s and was stopped/);
        for (const pid of seen) expect(alive(pid)).toBe(false);
        expect(listFiles(app.dir).filter((f) => f.startsWith('storage/backups/'))).toEqual([]);
        expect(await s3.listKeys(`${appName}/`)).toEqual([]);
        const failed = (await webhook.waitForRequests(before + 1, 10_000))
          .slice(before)
          .filter((r) => r.headers['x-backup-event'] === 'backup.failed');
        expect(failed.length).toBeGreaterThanOrEqual(1);
        for (const r of failed) expect(JSON.stringify(r.body)).toMatch(/took longer than 2 s/);
      } finally {
        await proc.stop('SIGKILL');
      }
    } finally {
      app.cleanup();
    }
  });

  it('a scheduled run in the web app: the app stops the run, reports it and exits', async () => {
    const app = tempAppDir('nest-backup-sigterm-web-');
    try {
      const appName = 'sigterm-web';
      const before = webhook.requests.length;
      const proc = startDemoWeb(
        { ...envFor(appName), BACKUP_SCHEDULE_RUN: '*/2 * * * * *', BACKUP_SCHEDULE_CLEAN: 'off', BACKUP_SCHEDULE_MONITOR: 'off' },
        app.dir,
      );
      try {
        await proc.waitFor(() => /Scheduled run started/.test(proc.out), 'the scheduled run', 60_000);
        const { dumpPids, exit, ms } = await interrupt(proc, app.dir, appName);
        expect(ms).toBeLessThan(10_000);
        expect(exit.code !== 0).toBe(true); // Nest re-raises SIGTERM after its shutdown hooks
        expect(proc.out).toMatch(/Stopping run \(SIGTERM\)/);
        expect(proc.out).toMatch(/Scheduled run FAILED/);
        await expectNothingLeft(app.dir, appName, dumpPids, before);
      } finally {
        await proc.stop('SIGKILL');
      }
    } finally {
      app.cleanup();
    }
  });
});
