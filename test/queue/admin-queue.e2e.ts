/**
 * The admin API with the shared queue (BACKUP_QUEUE_REDIS_URL): two instances of the demo web app
 * (`npm run start`) on one Redis and one PostgreSQL database. A job started over HTTP on one
 * instance runs once, on some instance's worker, and its state and progress are read the same
 * from the other; two runs started at once on the two instances never back up at the same time
 * (the cluster lock): one runs, the other is refused after its retries, and says why.
 *
 * Needs Redis at 127.0.0.1:6379 and the compiled demo (`npm run build`).
 */
import { ADMIN_TOKEN, DemoWeb } from '../admin/admin-app';
import { keysUnder, QueueApp, queueApp, until } from './queue.fixtures';

const APP = 'queue-admin-app';
/** This Redis needs no password; ioredis sends it anyway, so it travels as a real one would. */
const REDIS_PASSWORD = 'queue-e2e-redis-secret-5d1f9b';

describe('admin jobs through the queue, two web instances', () => {
  let app: QueueApp;
  const webs: Array<DemoWeb & { url: string }> = [];

  async function call(web: { url: string }, method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${web.url}/${route}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }
  const finished = (state: string) => state === 'succeeded' || state === 'failed';

  beforeAll(async () => {
    app = await queueApp(APP, 3, {
      BACKUP_ADMIN_TOKEN: ADMIN_TOKEN,
      BACKUP_QUEUE_ATTEMPTS: '2',
      BACKUP_QUEUE_REDIS_URL: `redis://:${REDIS_PASSWORD}@127.0.0.1:6379`,
    });
    webs.push(await DemoWeb.start(app.env, app.dir), await DemoWeb.start(app.env, app.dir));
  });
  afterAll(async () => {
    await Promise.all(webs.map((w) => w.stop()));
    const prefix = app?.prefix;
    await app?.close();
    if (prefix) expect(await keysUnder(prefix)).toBe(0);
  });

  it('shows a job started on one instance, its state and progress, on the other, and the Redis password nowhere', async () => {
    const [a, b] = webs;
    const hold = await app.holdUsers();
    const started = await call(a, 'POST', 'jobs/run', {});
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ kind: 'run', caller: 'token' });
    const id = started.body.id;

    // Held at the users table: running, at its first step, as B sees it.
    let seen: any;
    await until(async () => (seen = (await call(b, 'GET', `jobs/${id}`)).body).state === 'running');
    expect(seen).toMatchObject({ id, kind: 'run', caller: 'token', progress: { step: 'backing up' } });
    expect(seen.startedAt).not.toBeNull();
    expect((await call(b, 'GET', 'jobs')).body.map((j: any) => j.id)).toContain(id);

    await hold.release();
    await until(async () => finished((seen = (await call(b, 'GET', `jobs/${id}`)).body).state));
    expect(seen.state).toBe('succeeded');
    expect(seen.result.ok).toBe(true);
    expect(seen.progress).toMatchObject({ step: 'done', bytes: seen.result.archiveBytes });
    expect((await call(a, 'GET', `jobs/${id}`)).body).toEqual(seen);

    // It ran once: one backup on the disk, one run in the audit trail, with the caller.
    const listed = (await call(a, 'GET', 'backups')).body;
    expect(listed[0]).toMatchObject({ count: 1, newestBackup: seen.result.key });
    const runs = app.auditRecords().filter((r) => r.operation === 'run');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      outcome: 'success',
      backupName: seen.result.key,
      details: expect.objectContaining({ caller: 'token' }),
    });
    for (const w of webs) {
      expect(w.output).toContain('takes jobs from redis://:***@127.0.0.1:6379');
      expect(w.output).not.toContain(REDIS_PASSWORD);
    }
    expect(JSON.stringify(seen) + JSON.stringify((await call(b, 'GET', 'jobs')).body) + JSON.stringify(app.auditRecords())).not.toContain(
      REDIS_PASSWORD,
    );
  });

  it('runs one backup at a time across instances: of two runs started at once, the second is refused by the cluster lock', async () => {
    const [a, b] = webs;
    const hold = await app.holdUsers();
    const first = (await call(a, 'POST', 'jobs/run', {})).body.id;
    let one: any;
    await until(async () => (one = (await call(b, 'GET', `jobs/${first}`)).body).state === 'running');
    const second = (await call(b, 'POST', 'jobs/run', {})).body.id;
    let two: any;
    await until(async () => finished((two = (await call(a, 'GET', `jobs/${second}`)).body).state));
    expect(two.state).toBe('failed');
    expect(two.error).toMatch(/Backup not started[\s\S]*running elsewhere/);

    await hold.release();
    await until(async () => finished((one = (await call(a, 'GET', `jobs/${first}`)).body).state));
    expect(one.state).toBe('succeeded');
    expect(app.auditRecords().filter((r) => r.operation === 'run' && r.outcome === 'success')).toHaveLength(2);
  });
});
