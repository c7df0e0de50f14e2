/**
 * Restores and verifies that are stopped, through the real CLI on a real PostgreSQL database:
 * SIGKILL leaves staging / scratch databases and temporary files behind, and the next restore
 * or verify removes them and says so (never those of one still running); SIGTERM gives a
 * message that says what is live, an audit record and exit 143; and `backup:run` started
 * during a restore is refused by the cluster lock.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { advisoryLockId } from '../../libs/backup/src/lock/lock-key';
import { runCli, spawnCli, tempAppDir } from '../support/cli';
import { ADMIN, createTestDatabase, runSql, TestDatabase } from '../support/databases';
import { Proc } from '../schedule/instances.fixtures';
import { writeRandomFile } from '../faults/faults.fixtures';

const NAME = 'debris-app';

async function databasesLike(pattern: string): Promise<string[]> {
  const rows = await runSql(ADMIN.postgres, 'SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY datname', [pattern]);
  return rows.map((r) => String(r.datname));
}

/** Waits until a database matching `pattern` (and not in `known`) exists; returns its names. */
async function waitForDatabase(pattern: string, known: string[] = [], timeoutMs = 120_000): Promise<string[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = (await databasesLike(pattern)).filter((n) => !known.includes(n));
    if (found.length || Date.now() > until) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function hidden(dir: string): string[] {
  return readdirSync(dir).filter((f) => /^\..+\.restore-[0-9a-f]{12}\.tmp$/.test(f));
}

function parts(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.part'));
}

function auditRecords(file: string): Array<Record<string, unknown>> {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

describe('stopped restores and verifies: debris removed by the next one, signals, the lock', () => {
  let db: TestDatabase;
  let app: ReturnType<typeof tempAppDir>;
  let env: Record<string, string>;
  let folder: string;
  let auditFile: string;
  const procs: Proc[] = [];

  const start = (args: string[]) => {
    const p = new Proc(spawnCli(args, env, app.dir));
    procs.push(p);
    return p;
  };

  beforeAll(async () => {
    db = await createTestDatabase('postgres', 'debris');
    app = tempAppDir('nbt-debris-');
    folder = join(app.dir, 'storage/backups', NAME);
    auditFile = join(app.dir, 'audit.jsonl');
    const c = db.connection;
    env = {
      APP_NAME: NAME,
      DB_URL: `postgres://${c.username}@${c.host}:${c.port}/${c.database}`,
      BACKUP_ARCHIVE_PASSWORD: 'debris-tests-password-0123456789-abcdefgh',
      BACKUP_INCLUDE: 'storage/app',
      BACKUP_FAILURE_NOTIFICATIONS: '',
      BACKUP_HEALTH_NOTIFICATIONS: '',
      BACKUP_SUCCESS_NOTIFICATIONS: '',
      BACKUP_AUDIT: 'file',
      BACKUP_AUDIT_FILE: auditFile,
    };
    expect((await runCli(['demo:seed', '--tenants', '2', '--rows', '3'], env, app.dir)).code).toBe(0);
    // Enough rows that loading the dump takes seconds: time to catch a restore while it stages.
    await runSql(c, 'CREATE TABLE bulk AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 1500000) g');
    writeRandomFile(join(app.dir, 'storage/app/big.bin'), 80 * 1024 * 1024);
    const run = await runCli(['backup:run'], env, app.dir);
    expect(run.code).toBe(0);
  }, 300_000);
  afterAll(async () => {
    for (const p of procs) {
      try {
        p.child.kill('SIGCONT');
      } catch {
        /* gone */
      }
      await p.stop('SIGKILL');
    }
    if (db)
      for (const name of await databasesLike(`${db.connection.database}_%`))
        await runSql(ADMIN.postgres, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await db?.drop();
    app?.cleanup();
  });

  it('SIGKILLed restores leave a .part, hidden .tmp files and a staging database; the next restores remove each and say so', async () => {
    const appFiles = join(app.dir, 'storage/app');
    // 1. Killed while its safety backup is written: the safety backup's .part stays, and so do
    //    the files it had already written (checked) under hidden temporary names before it.
    const safety = start(['backup:restore', '--latest', '--only-files', '--force']);
    await safety.waitFor(() => parts(folder).some((f) => f.startsWith('pre-restore-')), "the safety backup's .part file", 120_000);
    safety.child.kill('SIGKILL');
    await safety.exited;
    const leftPart = parts(folder);
    expect(leftPart).toHaveLength(1);
    const stagedBefore = hidden(appFiles);
    expect(stagedBefore).toHaveLength(1); // big.bin's, beside it
    expect(safety.out).toMatch(/Writing \d+ file\(s\) under .* \(temporary names until the end\)/);

    // 2. The next restore removes them (and says so); killed in turn while it writes big.bin.
    const files = start(['backup:restore', '--latest', '--only-files', '--force', '--no-safety-backup']);
    await files.waitFor(() => hidden(appFiles).some((f) => !stagedBefore.includes(f)), 'a new hidden .tmp file beside big.bin', 120_000);
    files.child.kill('SIGKILL');
    await files.exited;
    expect(files.out).toContain(`Removed temporary file ${NAME}/${leftPart[0]} on local, left by an interrupted restore.`);
    expect(files.out).toContain(`Removed temporary file ${join(appFiles, stagedBefore[0])}, left by an interrupted restore.`);
    expect(parts(folder)).toEqual([]);
    const leftTmp = hidden(appFiles);
    expect(leftTmp).toHaveLength(1);
    expect(leftTmp).not.toEqual(stagedBefore);

    // 3. Killed while the dump loads into its staging copy: the staging database stays.
    const staging = start(['backup:restore', '--latest', '--only-db', '--force', '--no-safety-backup']);
    const [leftDb] = await waitForDatabase(`${db.connection.database}_restore_%`);
    expect(leftDb).toBeDefined();
    staging.child.kill('SIGKILL');
    await staging.exited;
    expect(await databasesLike(`${db.connection.database}_restore_%`)).toEqual([leftDb]);

    // 4. A full restore removes the staging database and the .tmp file, says so, and restores.
    const next = await runCli(['backup:restore', '--latest', '--force', '--no-safety-backup'], env, app.dir, 300_000);
    expect(next.code).toBe(0);
    expect(next.stderr).toContain(`Removed staging database "${leftDb}", left by an interrupted restore.`);
    expect(next.stderr).toContain(`Removed temporary file ${join(appFiles, leftTmp[0])}, left by an interrupted restore.`);
    expect(await databasesLike(`${db.connection.database}_restore_%`)).toEqual([]);
    expect(hidden(appFiles)).toEqual([]);
  }, 600_000);

  it('SIGKILLed verify leaves its scratch database; the next verify removes it, but never one whose owner is alive', async () => {
    const scratchLike = `${db.connection.database}_verify_%`;
    const killed = start(['backup:verify', '--latest', '--test-restore']);
    const left = await waitForDatabase(scratchLike);
    expect(left).toHaveLength(1);
    killed.child.kill('SIGKILL');
    await killed.exited;
    expect(await databasesLike(scratchLike)).toEqual(left);

    // A scratch database whose owner is alive: this session holds its owner lock, as a running
    // verify does (a verify stopped with SIGSTOP mid-load would block every DROP DATABASE on the
    // server: a backend waiting in COPY FROM STDIN does not answer DROP DATABASE's barrier).
    const alive = `${db.connection.database}_verify_0123abcd`;
    await runSql(ADMIN.postgres, `CREATE DATABASE "${alive}"`);
    const owner = new Client({
      host: db.connection.host,
      port: db.connection.port,
      user: db.connection.username,
      database: db.connection.database,
    });
    owner.on('error', () => undefined);
    await owner.connect();
    try {
      await owner.query('SELECT pg_advisory_lock($1::bigint)', [advisoryLockId(`scratch-database:${alive}`)]);
      const next = await runCli(['backup:verify', '--latest', '--test-restore'], env, app.dir, 300_000);
      expect(next.code).toBe(0);
      expect(next.stderr + next.stdout).toContain(`Removed scratch database "${left[0]}", left by an interrupted verify or tenant restore`);
      expect(next.stderr + next.stdout).not.toContain(alive);
      expect(await databasesLike(scratchLike)).toEqual([alive]);
    } finally {
      await owner.end();
    }
    // Its owner gone, the next verify removes it too.
    const after = await runCli(['backup:verify', '--latest', '--test-restore'], env, app.dir, 300_000);
    expect(after.code).toBe(0);
    expect(after.stderr + after.stdout).toContain(`Removed scratch database "${alive}"`);
    expect(await databasesLike(scratchLike)).toEqual([]);
  }, 600_000);

  it('SIGTERM during a restore: a message saying what is live, an audit record, exit 143, the staging copy dropped', async () => {
    // A row the backup does not hold: a restore that changed anything live would remove it.
    await runSql(db.connection, "INSERT INTO bulk VALUES (0, 'added after the backup')");
    const live = await runSql(db.connection, 'SELECT count(*)::int AS n FROM bulk');
    const recordsBefore = auditRecords(auditFile).filter((r) => r.operation === 'restore').length;
    const p = start(['backup:restore', '--latest', '--only-db', '--force']);
    expect(await waitForDatabase(`${db.connection.database}_restore_%`)).toHaveLength(1);
    p.child.kill('SIGTERM');
    const exit = await p.exited;
    expect(exit.code).toBe(143);
    expect(p.out).toMatch(/Restore interrupted by SIGTERM; nothing live was changed/);
    expect(await databasesLike(`${db.connection.database}_restore_%`)).toEqual([]);
    expect(await runSql(db.connection, 'SELECT count(*)::int AS n FROM bulk')).toEqual(live);
    const records = auditRecords(auditFile).filter((r) => r.operation === 'restore');
    expect(records).toHaveLength(recordsBefore + 1); // one record, not also the failure the clean-up caused
    const last = records.pop();
    expect(last).toMatchObject({ operation: 'restore', outcome: 'failure' });
    expect(String(last?.error)).toMatch(/Interrupted by SIGTERM; nothing live was changed/);
  }, 300_000);

  it('SIGTERM during a verify: a message, an audit record, exit 143, the scratch database dropped', async () => {
    const known = await databasesLike(`${db.connection.database}_verify_%`);
    const p = start(['backup:verify', '--latest', '--test-restore']);
    expect(await waitForDatabase(`${db.connection.database}_verify_%`, known)).toHaveLength(1);
    p.child.kill('SIGTERM');
    const exit = await p.exited;
    expect(exit.code).toBe(143);
    expect(p.out).toMatch(/Verify interrupted by SIGTERM; no live data is changed by a verify/);
    expect(await databasesLike(`${db.connection.database}_verify_%`)).toEqual(known);
    const last = auditRecords(auditFile)
      .filter((r) => r.operation === 'verify')
      .pop();
    expect(last).toMatchObject({ operation: 'verify', outcome: 'failure' });
    expect(String(last?.error)).toMatch(/Interrupted by SIGTERM/);
  }, 300_000);

  it("a restore in place of the PostgreSQL database takes its lock again after the swap ended the lock's session, before the files change", async () => {
    // The swap ends every session on the live database, the lock's too; the files are put in
    // place after it, so the restore waits for the lock to be held again first.
    const p = start(['backup:restore', '--latest', '--force', '--no-safety-backup']);
    expect((await p.exited).code).toBe(0);
    const swapped = p.out.indexOf('Swapping the restored copy in');
    const retaken = p.out.indexOf('was taken again after its connection ended');
    const putInPlace = p.out.search(/Putting \d+ file\(s\) in place/);
    expect(swapped).toBeGreaterThan(-1);
    expect(retaken).toBeGreaterThan(swapped);
    expect(putInPlace).toBeGreaterThan(retaken);
    expect(p.out).not.toMatch(/could not be taken again/);
  }, 600_000);

  it('backup:run started during a restore is refused by the lock (exit 75); the restore finishes', async () => {
    const p = start(['backup:restore', '--latest', '--only-files', '--force', '--no-safety-backup']);
    await p.waitFor(() => /Opening /.test(p.out), 'the restore to start', 120_000);
    p.child.kill('SIGSTOP'); // holds the lock while it stands still
    try {
      const run = await runCli(['backup:run'], env, app.dir);
      expect(run.code).toBe(75);
      expect(run.stderr).toMatch(/Backup not started: another instance holds the .* for "debris-app:backup:run"/);
    } finally {
      p.child.kill('SIGCONT');
    }
    expect((await p.exited).code).toBe(0);
    expect(parts(folder)).toEqual([]);
  }, 300_000);
});
