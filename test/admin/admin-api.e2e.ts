/**
 * The admin API over real HTTP against the demo web app (SQLite, local disk): access, the same
 * answers as the CLI for the same app folder, a run started by POST, the audit trail with the
 * caller, and no secret in any response body.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../support/cli';
import { ADMIN_TOKEN, ARCHIVE_PASSWORD, cliOk, DemoWeb, demoEnv, seededApp, waitUntil } from './admin-app';

interface Reply {
  status: number;
  body: any;
  text: string;
}

describe('admin API (demo app over HTTP)', () => {
  let app: Awaited<ReturnType<typeof seededApp>>;
  let web: DemoWeb & { url: string };
  // Every body the API answered with, for the no-secret check at the end.
  const bodies: string[] = [];

  async function call(method: string, route: string, options: { token?: string | null; body?: unknown } = {}): Promise<Reply> {
    const token = options.token === undefined ? ADMIN_TOKEN : options.token;
    const res = await fetch(`${web.url}/${route}`, {
      method,
      headers: {
        ...(token !== null ? { Authorization: `Bearer ${token}` } : {}),
        ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await res.text();
    bodies.push(text);
    let body: any = null;
    try {
      body = JSON.parse(text);
    } catch {
      /* the dashboard page is HTML */
    }
    return { status: res.status, body, text };
  }

  const cliJson = async (args: string[]) => JSON.parse(await cliOk(args, app.env, app.dir));
  const auditFile = () => path.join(app.dir, 'storage/audit', `${app.env.APP_NAME}.jsonl`);
  const fileRecords = () =>
    fs
      .readFileSync(auditFile(), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));

  beforeAll(async () => {
    app = await seededApp('admin-api', 2);
    web = await DemoWeb.start(app.env, app.dir);
  }, 180_000);

  afterAll(async () => {
    await web?.stop();
    app?.cleanup();
  });

  it('answers 401 without a token and with a wrong one, and records both refusals', async () => {
    const none = await call('GET', 'backups', { token: null });
    expect(none.status).toBe(401);
    expect(none.body.hint).toContain('Authorization: Bearer');
    const wrong = await call('GET', 'backups', { token: 'x'.repeat(40) });
    expect(wrong.status).toBe(401);
    const post = await call('POST', 'jobs/run', { token: ADMIN_TOKEN.slice(0, -1) + 'Z', body: {} });
    expect(post.status).toBe(401);
    // No run was started by the refused POST.
    expect((await call('GET', 'jobs')).body).toEqual([]);

    const refused = fileRecords().filter((r) => r.operation === 'admin-request' && r.outcome === 'failure');
    expect(refused.map((r) => [r.details.method, r.details.path, r.details.status, r.details.caller])).toEqual([
      ['GET', '/admin/backups/backups', 401, 'anonymous'],
      ['GET', '/admin/backups/backups', 401, 'anonymous'],
      ['POST', '/admin/backups/jobs/run', 401, 'anonymous'],
    ]);
  });

  it('lists the disks as backup:list --json does', async () => {
    const api = await call('GET', 'backups');
    const cli = await cliJson(['backup:list', '--json']);
    expect(api.status).toBe(200);
    // The age text ("0.00 days (4 seconds ago)") moves with the clock between the two calls.
    const steady = (rows: any[]) => rows.map(({ newestBackupAge, ...rest }) => ({ ...rest, newestBackupAge: typeof newestBackupAge }));
    expect(steady(api.body)).toEqual(steady(cli));
    expect(api.body[0]).toMatchObject({ disk: 'local', count: 2, healthy: true });
  });

  it('answers health 200 with the report backup:monitor --json prints', async () => {
    const api = await call('GET', 'health');
    const monitor = await runCli(['backup:monitor', '--json', '--disable-notifications'], app.env, app.dir);
    expect(monitor.code).toBe(0);
    expect(api.status).toBe(200);
    const cli = JSON.parse(monitor.stdout);
    expect(api.body.healthy).toBe(true);
    expect(api.body.destinations).toEqual(cli.destinations);
  });

  it('returns the compliance report backup:report --format json prints', async () => {
    const since = new Date(Date.now() - 86_400_000).toISOString();
    const api = await call('GET', `report?since=${encodeURIComponent(since)}`);
    const cli = await cliJson(['backup:report', '--format', 'json', '--since', since]);
    expect(api.status).toBe(200);
    // Times of "now" differ by the seconds between the two calls; everything else is the same.
    const steady = (value: unknown): unknown =>
      JSON.parse(JSON.stringify(value, (k, v) => (['generatedAt', 'until', 'ageHours'].includes(k) ? typeof v : v)));
    expect(steady(api.body)).toEqual(steady(cli));
    expect(api.body.destinations[0].backups.made).toBeGreaterThanOrEqual(2);
    // Admin requests are in the trail, not in the report's operations.
    expect(Object.keys(api.body.operations)).not.toContain('admin-request');
  });

  it('pages the audit trail newest first, filtered by operation and outcome', async () => {
    const runs = await call('GET', 'audit?operation=run&outcome=success');
    const fromFile = fileRecords()
      .filter((r) => r.operation === 'run' && r.outcome === 'success')
      .reverse();
    expect(runs.status).toBe(200);
    expect(runs.body.total).toBe(fromFile.length);
    expect(runs.body.records).toEqual(fromFile);

    const page2 = await call('GET', 'audit?operation=admin-request&pageSize=2&page=2');
    const requests = fileRecords()
      .filter((r) => r.operation === 'admin-request')
      .reverse();
    // The request for page 2 is recorded after it is answered: the file then has one more.
    expect(page2.body.total).toBe(requests.length - 1);
    expect(page2.body.records).toEqual(requests.slice(1).slice(2, 4));
    expect(page2.body.records.every((r: any) => r.details.caller === 'token' || r.details.caller === 'anonymous')).toBe(true);

    const bad = await call('GET', 'audit?operation=delete-everything');
    expect(bad.status).toBe(400);
    expect(bad.body.hint).toContain('run, clean, monitor');
  });

  it('starts a run with POST (202), follows it to the end, and the backup appears in the list and the audit trail with the caller', async () => {
    const before = await call('GET', 'backups');
    const started = await call('POST', 'jobs/run', { body: {} });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ kind: 'run', caller: 'token' });
    expect(['queued', 'running']).toContain(started.body.state);

    let job: any;
    await waitUntil(async () => {
      job = (await call('GET', `jobs/${started.body.id}`)).body;
      return job.state === 'succeeded' || job.state === 'failed';
    }, 'the run job to finish');
    expect(job.state).toBe('succeeded');
    expect(job.result.ok).toBe(true);
    expect(job.progress.bytes).toBe(job.result.archiveBytes);

    const after = await call('GET', 'backups');
    expect(after.body[0].count).toBe(before.body[0].count + 1);
    expect(after.body[0].newestBackup).toBe(job.result.key);
    const listed = await cliJson(['backup:list', '--json']);
    expect(listed[0].newestBackup).toBe(job.result.key);

    const runRecords = (await call('GET', 'audit?operation=run')).body.records;
    expect(runRecords[0]).toMatchObject({
      backupName: job.result.key,
      outcome: 'success',
      details: expect.objectContaining({ caller: 'token' }),
    });
    const post = fileRecords().find((r) => r.operation === 'admin-request' && r.details.jobId === started.body.id);
    expect(post).toMatchObject({
      outcome: 'success',
      details: { caller: 'token', method: 'POST', path: '/admin/backups/jobs/run', status: 202 },
    });
  });

  it('runs a test restore as a job and refuses a job field it does not know', async () => {
    const started = await call('POST', 'jobs/test-restore', { body: {} });
    expect(started.status).toBe(202);
    let job: any;
    await waitUntil(async () => {
      job = (await call('GET', `jobs/${started.body.id}`)).body;
      return job.state !== 'queued' && job.state !== 'running';
    }, 'the test restore to finish');
    expect(job.state).toBe('succeeded');
    expect(job.result.backups[0].testRestore.every((t: any) => t.ok)).toBe(true);
    const verify = (await call('GET', 'audit?operation=verify')).body.records[0];
    expect(verify.details.caller).toBe('token');

    const bad = await call('POST', 'jobs/run', { body: { force: true } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('"force" is not a field of a run job');
    expect((await call('POST', 'jobs/restore', { body: {} })).status).toBe(400);
    expect((await call('GET', 'jobs/no-such-job')).status).toBe(404);
  });

  it('exports one tenant as a job: the same tables and rows as backup:tenant-export --json, the caller in the trail', async () => {
    const started = await call('POST', 'jobs/tenant-export', { body: { tenantId: '1' } });
    expect(started.status).toBe(202);
    let job: any;
    await waitUntil(async () => {
      job = (await call('GET', `jobs/${started.body.id}`)).body;
      return job.state !== 'queued' && job.state !== 'running';
    }, 'the tenant export to finish');
    expect(job.state).toBe('succeeded');
    const cli = await cliJson(['backup:tenant-export', '1', '--json']);
    expect(job.result).toMatchObject({ tenantId: '1', disk: 'local', encrypted: true, tables: cli.tables, files: cli.files });
    expect(job.result.key).toMatch(/^admin-api\/tenants\/1\/.+\.zip$/);
    expect(fs.existsSync(path.join(app.dir, 'storage/backups', job.result.key))).toBe(true);
    const record = fileRecords().find((r) => r.operation === 'tenant-export' && r.backupName === job.result.key);
    expect(record).toMatchObject({ outcome: 'success', details: expect.objectContaining({ caller: 'token' }) });
    expect((await call('POST', 'jobs/tenant-export', { body: {} })).status).toBe(400);
  });

  it('gives the dry-run restore plan backup:restore --dry-run --json gives, and nothing that restores', async () => {
    const db = path.join(app.dir, 'storage/demo.sqlite');
    const before = fs.statSync(db).mtimeMs;
    const api = await call('GET', 'restore-plan?latest=true');
    const viaPost = await call('POST', 'restore-plan', { body: { latest: true } });
    const cli = await cliJson(['backup:restore', '--latest', '--dry-run', '--json']);
    const steady = (value: unknown): unknown => JSON.parse(JSON.stringify(value, (k, v) => (k === 'durationMs' ? typeof v : v)));
    expect(api.status).toBe(200);
    expect(steady(api.body)).toEqual(steady(cli));
    expect(steady(viaPost.body)).toEqual(steady(cli));
    expect(api.body.dryRun).toBe(true);
    // A restore that changes data cannot be asked for.
    const forced = await call('POST', 'restore-plan', { body: { latest: true, force: true } });
    expect(forced.status).toBe(400);
    expect(fs.statSync(db).mtimeMs).toBe(before);
  });

  it('serves the OpenAPI document and the dashboard at its prefix', async () => {
    const doc = await call('GET', 'openapi.json', { token: null });
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.0.3');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/admin/backups/backups',
        '/admin/backups/health',
        '/admin/backups/jobs/run',
        '/admin/backups/jobs/{id}',
        '/admin/backups/restore-plan',
      ]),
    );
    const page = await call('GET', '', { token: null });
    expect(page.status).toBe(200);
    expect(page.text).toContain('<title>Backups — admin-api</title>');
  });

  it('never puts the archive password or the token in a response body', () => {
    expect(bodies.length).toBeGreaterThan(20);
    for (const body of bodies) {
      expect(body).not.toContain(ARCHIVE_PASSWORD);
      expect(body).not.toContain(ADMIN_TOKEN);
    }
  });
});

describe('admin API refusing to start', () => {
  const app = { dir: '', cleanup: () => undefined as void };

  beforeAll(() => Object.assign(app, require('../support/cli').tempAppDir('nest-backup-admin-start-')));
  afterAll(() => app.cleanup());

  it.each([
    [
      'shorter than 32 characters',
      'short-token-0123456789',
      /BACKUP_ADMIN_TOKEN is 22 characters long; the backup admin API needs at least 32/,
    ],
    ['empty', '', /The backup admin API needs BACKUP_ADMIN_TOKEN, which is not set/],
  ])('exits 1 when BACKUP_ADMIN_TOKEN is %s, saying what to do', async (_what, token, message) => {
    const web = DemoWeb.spawn(demoEnv('admin-start', { BACKUP_ADMIN_TOKEN: token }), app.dir);
    const code = await web.exited;
    expect(code).toBe(1);
    expect(web.output).toMatch(message);
    expect(web.output).toContain('openssl rand -base64 36');
    if (token) expect(web.output).not.toContain(token);
  });
});

describe('admin API health when a disk holds no backup', () => {
  it('answers 503 with the report backup:monitor prints (and exits 1 on)', async () => {
    const app = await seededApp('admin-unhealthy', 0);
    const web = await DemoWeb.start(app.env, app.dir);
    try {
      const res = await fetch(`${web.url}/health`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
      const body = (await res.json()) as { healthy: boolean; destinations: unknown[] };
      const monitor = await runCli(['backup:monitor', '--json', '--disable-notifications'], app.env, app.dir);
      expect(res.status).toBe(503);
      expect(monitor.code).toBe(1);
      expect(body.healthy).toBe(false);
      expect(body.destinations).toEqual(JSON.parse(monitor.stdout).destinations);
    } finally {
      await web.stop();
      app.cleanup();
    }
  });
});
