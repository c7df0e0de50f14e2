/**
 * What the queue tests share: a demo app folder on a fresh PostgreSQL database seeded by the
 * demo CLI, the environment every instance gets (one Redis, the test's own key prefix, short
 * stalled-job timings), worker processes (`backup:worker` of the compiled demo CLI), a lock on
 * the `users` table that holds every tenant export mid-way until the test lets go, and a
 * read-only view of the queue in Redis (the test's own BullMQ client) to see who runs what.
 */
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { ChildProcessByStdio } from 'node:child_process';
import { Readable } from 'node:stream';
import { createTestDatabase, TestDatabase } from '../support/databases';
import { runCli, spawnCli, tempAppDir } from '../support/cli';

export const REDIS_URL = 'redis://127.0.0.1:6379';
export const QUEUE_NAME = 'jobs';

export interface QueueApp {
  dir: string;
  env: Record<string, string>;
  db: TestDatabase;
  prefix: string;
  /** The test's own view of the queue (the same Redis keys the instances use). */
  queue: Queue;
  tenantsDir: string;
  auditRecords(): Array<Record<string, unknown>>;
  /** Holds every read of the users table (so every tenant export) until release(). */
  holdUsers(): Promise<{ release(): Promise<void> }>;
  close(): Promise<void>;
}

export async function queueApp(appName: string, tenants: number, extra: Record<string, string> = {}): Promise<QueueApp> {
  const db = await createTestDatabase('postgres', 'queue');
  const app = tempAppDir(`nbt-${appName}-`);
  const prefix = `nbt-${randomBytes(4).toString('hex')}`;
  const c = db.connection;
  const env: Record<string, string> = {
    APP_NAME: appName,
    DB_URL: `postgres://${c.username}@${c.host}:${c.port}/${c.database}`,
    BACKUP_DISKS: 'local',
    BACKUP_LOCAL_ROOT: 'storage/backups',
    BACKUP_ARCHIVE_PASSWORD: 'queue-e2e archive password: 3c9a7f1b5d2e8f40',
    BACKUP_INCLUDE: 'storage/app',
    BACKUP_TENANT_FILES: 'storage/app/tenants/{tenant}/**',
    BACKUP_FAILURE_NOTIFICATIONS: '',
    BACKUP_HEALTH_NOTIFICATIONS: '',
    BACKUP_SUCCESS_NOTIFICATIONS: '',
    BACKUP_QUEUE_REDIS_URL: REDIS_URL,
    BACKUP_QUEUE_PREFIX: prefix,
    // A killed worker's job is taken back within seconds, not the default 30 s.
    BACKUP_QUEUE_STALLED_INTERVAL_MS: '1000',
    BACKUP_QUEUE_LOCK_DURATION_MS: '2000',
    BACKUP_QUEUE_BACKOFF_MS: '200',
    ...extra,
  };
  const seeded = await runCli(['demo:seed', '--tenants', String(tenants), '--rows', '3'], env, app.dir);
  if (seeded.code !== 0) throw new Error(`demo:seed failed: ${seeded.stderr}`);
  const queue = new Queue(QUEUE_NAME, { connection: { url: REDIS_URL }, prefix });
  return {
    dir: app.dir,
    env,
    db,
    prefix,
    queue,
    tenantsDir: path.join(app.dir, 'storage', 'backups', appName, 'tenants'),
    auditRecords: () => {
      const file = path.join(app.dir, 'storage', 'audit', `${appName}.jsonl`);
      return fs.existsSync(file)
        ? fs
            .readFileSync(file, 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l))
        : [];
    },
    holdUsers: async () => {
      const client = new Client({ host: c.host, port: c.port, user: c.username, database: c.database });
      await client.connect();
      await client.query('BEGIN');
      await client.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
      return {
        release: async () => {
          await client.query('COMMIT');
          await client.end();
        },
      };
    },
    close: async () => {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      await removeKeys(prefix);
      await db.drop();
      app.cleanup();
    },
  };
}

/** Every Redis key under the test's prefix removed (the queue, its events, its meta). */
export async function removeKeys(prefix: string): Promise<void> {
  const redis = new IORedis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export async function keysUnder(prefix: string): Promise<number> {
  const redis = new IORedis(REDIS_URL);
  try {
    return (await redis.keys(`${prefix}:*`)).length;
  } finally {
    redis.disconnect();
  }
}

/** A `backup:worker` process of the demo CLI. */
export class WorkerProcess {
  output = '';
  readonly exited: Promise<number | null>;
  constructor(readonly child: ChildProcessByStdio<null, Readable, Readable>) {
    child.stdout.on('data', (d) => (this.output += d));
    child.stderr.on('data', (d) => (this.output += d));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  static async start(env: Record<string, string>, cwd: string): Promise<WorkerProcess> {
    const w = new WorkerProcess(spawnCli(['backup:worker'], env, cwd));
    await until(() => w.output.includes('Worker started') || w.child.exitCode !== null);
    if (w.child.exitCode !== null) throw new Error(`backup:worker exited (${w.child.exitCode}):\n${w.output}`);
    return w;
  }

  get pid(): number {
    return this.child.pid!;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    await this.exited;
  }
}

/** Polls `check` until it holds (the test's own timeout is the limit). */
export async function until(check: () => boolean | Promise<boolean>, everyMs = 100): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, everyMs));
}
