/**
 * `backup:run --each-tenant` with the shared queue (BACKUP_QUEUE_REDIS_URL): three `backup:worker`
 * processes of the demo CLI against one Redis and one PostgreSQL database. Every tenant is
 * exported exactly once (one archive per tenant on the disk, one successful tenant-export record
 * per tenant in the audit trail), also when a worker is killed with SIGKILL in the middle of an
 * export: BullMQ's stalled-job check hands its tenant to another worker. A tenant that fails on
 * every attempt makes the command exit 1, and --no-wait returns at once with the job ids.
 *
 * Needs Redis at 127.0.0.1:6379 and the compiled demo (`npm run build`).
 */
import * as path from 'node:path';
import { listFiles, runCli, spawnCli } from '../support/cli';
import { keysUnder, QueueApp, queueApp, until, WorkerProcess } from './queue.fixtures';

const APP = 'fanout-app';
const TENANTS = ['1', '2', '3', '4', '5', '6'];

describe('backup:run --each-tenant through the queue, three workers', () => {
  let app: QueueApp;
  let workers: WorkerProcess[] = [];
  const exports = () => listFiles(app.tenantsDir);

  beforeAll(async () => {
    app = await queueApp(APP, TENANTS.length, { BACKUP_QUEUE_ATTEMPTS: '2' });
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    const prefix = app?.prefix;
    await app?.close();
    if (prefix) expect(await keysUnder(prefix)).toBe(0);
  });

  it('exports every tenant exactly once, also the tenant of a worker killed mid-export', async () => {
    // Every export waits at the users table until the test lets go: each worker is mid-export.
    const hold = await app.holdUsers();
    workers = await Promise.all([0, 1, 2].map(() => WorkerProcess.start(app.env, app.dir)));
    const command = spawnCli(['backup:run', '--each-tenant'], app.env, app.dir);
    let stdout = '';
    let stderr = '';
    command.stdout.on('data', (d) => (stdout += d));
    command.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => command.on('close', resolve));

    // One job per worker (concurrency 1), each taken by a different process.
    await until(async () => (await app.queue.getActive()).length === 3);
    const active = await app.queue.getActive();
    expect(new Set(active.map((j) => j.processedBy)).size).toBe(3);
    expect(await app.queue.getWaitingCount()).toBe(3);

    const victimJob = active[0];
    const victim = workers.find((w) => victimJob.processedBy!.endsWith(`:${w.pid}`))!;
    expect(victim).toBeDefined();
    victim.child.kill('SIGKILL');
    await victim.exited;
    await hold.release();

    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/✘|FAILED|No worker/);
    expect(stdout).toContain('6 tenant export job(s) queued');
    expect(stdout).toContain(`6 of 6 tenant(s) exported to local.`);
    const lines = stdout.split('\n').filter((l) => l.startsWith('✔ tenant '));
    expect(lines).toHaveLength(6);

    // The killed worker's tenant was finished by one of the two others.
    const rescued = await app.queue.getJob(victimJob.id!);
    expect(await rescued!.getState()).toBe('completed');
    expect(rescued!.processedBy).not.toBe(victimJob.processedBy);
    const survivors = workers.filter((w) => w !== victim).map((w) => `:${w.pid}`);
    expect(survivors.some((s) => rescued!.processedBy!.endsWith(s))).toBe(true);
    const victimTenant = (victimJob.data as { tenantId: string }).tenantId;
    expect(lines.find((l) => l.startsWith(`✔ tenant ${victimTenant}:`))).toMatch(
      new RegExp(`\\[job ${victimJob.id}, .*:(${survivors.map((s) => s.slice(1)).join('|')})\\]$`),
    );

    // Exactly one archive per tenant, nothing else (no half-written file of the killed worker).
    const files = exports();
    expect(files).toHaveLength(6);
    for (const t of TENANTS) expect(files.filter((f) => f.startsWith(`${t}${path.sep}`) && f.endsWith('.zip'))).toHaveLength(1);
    // And one successful tenant export per tenant in the audit trail, naming that archive.
    const exported = app.auditRecords().filter((r) => r.operation === 'tenant-export' && r.outcome === 'success');
    expect(exported).toHaveLength(6);
    expect(exported.map((r) => String(r.backupName)).sort()).toEqual(
      files.map((f) => `${APP}/tenants/${f.split(path.sep).join('/')}`).sort(),
    );
  });

  it('exits 1 when a tenant fails on every attempt, the others exported; --no-wait returns the job ids', async () => {
    // Tenant 4's folder becomes a plain file: its export cannot be stored, on any worker.
    const { rmSync, writeFileSync } = await import('node:fs');
    rmSync(path.join(app.tenantsDir, '4'), { recursive: true, force: true });
    writeFileSync(path.join(app.tenantsDir, '4'), 'not a folder');
    await new Promise((r) => setTimeout(r, 1100)); // a new second: new archive names

    const run = await runCli(['backup:run', '--each-tenant'], app.env, app.dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^✘ tenant 4: The export of tenant 4 failed[\s\S]*?\n  → .*\(after 2 attempt\(s\)\)/m);
    expect(run.stderr).toContain('5 of 6 tenant(s) exported to local; 1 FAILED.');
    expect(run.stdout.split('\n').filter((l) => l.startsWith('✔ tenant '))).toHaveLength(5);
    expect(
      app.auditRecords().filter((r) => r.operation === 'tenant-export' && r.outcome === 'failure' && String(r.error).includes('tenants/4')),
    ).toHaveLength(2);

    const queued = await runCli(['backup:run', '--each-tenant', '--no-wait'], app.env, app.dir);
    expect(queued.code).toBe(0);
    const ids = [...queued.stdout.matchAll(/^tenant (\d+): job (\S+)$/gm)].map((m) => ({ tenant: m[1], job: m[2] }));
    expect(ids.map((i) => i.tenant)).toEqual(TENANTS);
    // The jobs are in Redis and the workers finish them without the command.
    for (const { job } of ids) await until(async () => ['completed', 'failed'].includes(await (await app.queue.getJob(job))!.getState()));
    expect(await (await app.queue.getJob(ids[0].job))!.getState()).toBe('completed');

    const refused = await runCli(['backup:run', '--no-wait'], app.env, app.dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--no-wait only applies to backup:run --each-tenant');
  });

  it('stops the workers on SIGTERM, each with exit code 0', async () => {
    const alive = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    expect(alive).toHaveLength(2);
    for (const w of alive) w.child.kill('SIGTERM');
    expect(await Promise.all(alive.map((w) => w.exited))).toEqual([0, 0]);
    for (const w of alive) expect(w.output).toContain('SIGTERM received: stopping the worker');

    // No worker left: the command says the jobs wait for one.
    const queued = await runCli(['backup:run', '--each-tenant', '--no-wait'], app.env, app.dir);
    expect(queued.code).toBe(0);
    expect(queued.stderr).toContain('No worker is connected to the queue yet: the jobs wait until one starts (backup:worker');
    expect(await app.queue.getWaitingCount()).toBe(6);
  });
});
