/**
 * The queue's Redis cannot be reached: `backup:run --each-tenant` does not wait forever (ioredis
 * would) but exits 1 after 10 s with what failed, where (the URL without its password) and what
 * to check. `backup:worker` without BACKUP_QUEUE_REDIS_URL is refused with the variable to set.
 * On SQLite (no database server needed for the point made here).
 */
import * as net from 'node:net';
import { join } from 'node:path';
import { runCli, tempAppDir } from '../support/cli';

const PASSWORD = 'unreachable-redis-secret-8e2d4c';

/** A port nothing listens on: bound by the system, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

describe('the queue without its Redis', () => {
  const app = tempAppDir('nbt-queue-unreachable-');
  const env = {
    APP_NAME: 'unreachable',
    DB_URL: `sqlite:${join(app.dir, 'demo.sqlite')}`,
    BACKUP_ARCHIVE_PASSWORD: 'unreachable archive password 0123456789abcdef',
    BACKUP_INCLUDE: 'storage/app',
    BACKUP_FAILURE_NOTIFICATIONS: '',
    BACKUP_HEALTH_NOTIFICATIONS: '',
    BACKUP_SUCCESS_NOTIFICATIONS: '',
  };
  afterAll(() => app.cleanup());

  it('backup:run --each-tenant exits 1 with the place and a hint, never the password', async () => {
    expect((await runCli(['demo:seed', '--tenants', '2', '--rows', '1'], env, app.dir)).code).toBe(0);
    const port = await closedPort();
    const r = await runCli(
      ['backup:run', '--each-tenant'],
      { ...env, BACKUP_QUEUE_REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${port}` },
      app.dir,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `Could not add a job (each-tenant) on the job queue at redis://:***@127.0.0.1:${port} (prefix nest-backup): no answer within 10 s (connect ECONNREFUSED`,
    );
    expect(r.stderr).toContain('→ Check that Redis is running and reachable, and that BACKUP_QUEUE_REDIS_URL is right.');
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    // Nothing was exported in-process instead.
    expect(r.stdout).not.toContain('✔ tenant');
  });

  it('backup:worker needs BACKUP_QUEUE_REDIS_URL', async () => {
    const r = await runCli(['backup:worker'], env, app.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('No shared job queue is configured');
    expect(r.stderr).toContain('Set BACKUP_QUEUE_REDIS_URL');
  });
});
