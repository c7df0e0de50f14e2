/**
 * Four real processes of the demo web app against one database fire the same schedule at the
 * same instants: the lock lets exactly one of them make each backup. A holder killed with
 * SIGKILL frees the lock (its database session dies) and the next firing succeeds.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempAppDir } from '../support/cli';
import { createTestDatabase, DbKind, seedDemo, TestDatabase } from '../support/databases';
import { dbUrl, Proc, startDemoWeb, startLockHolder } from './instances.fixtures';

const INSTANCES = 4;
const STARTED = /Scheduled run started/;
const SKIPPED = /Scheduled run skipped: another instance holds the/;
const STORED = /Backup stored on local/;

describe.each<DbKind>(['postgres', 'mariadb'])('%s: four app instances, one schedule', (kind) => {
  let db: TestDatabase;
  let app: { dir: string; cleanup: () => void };
  const procs: Proc[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(kind, 'sched');
    await seedDemo(db.connection, { tenants: 2, rowsPerTenant: 5 });
    app = tempAppDir('nest-backup-sched-');
  });

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGKILL')));
    await db?.drop();
    app?.cleanup();
  });

  it('exactly one instance backs up per firing; a SIGKILLed holder frees the lock', async () => {
    const appName = `sched-${kind}`;
    // Another process holds the run lock first (as a crashed or slow instance would).
    const holder = await startLockHolder(db.connection, `${appName}:backup:run`);
    procs.push(holder);

    const env = {
      DB_URL: dbUrl(db.connection),
      BACKUP_NAME: appName,
      BACKUP_ENCRYPTION: 'none',
      BACKUP_DISKS: 'local',
      // Every 4 seconds, at the same instants in every process.
      BACKUP_SCHEDULE_RUN: '*/4 * * * * *',
      BACKUP_SCHEDULE_CLEAN: 'off',
      BACKUP_SCHEDULE_MONITOR: 'off',
    };
    const instances = Array.from({ length: INSTANCES }, () => startDemoWeb(env, app.dir));
    procs.push(...instances);
    await Promise.all(instances.map((p) => p.waitFor(() => /Scheduled run at/.test(p.out), 'the schedule to be registered', 60_000)));

    // While the holder lives, every instance skips and says why.
    await Promise.all(instances.map((p) => p.waitFor(() => p.count(SKIPPED) >= 1, 'a skipped firing', 15_000)));
    expect(instances.reduce((n, p) => n + p.count(STARTED), 0)).toBe(0);

    await holder.stop('SIGKILL');
    const skippedBefore = instances.map((p) => p.count(SKIPPED));

    // The next firing that finds the lock free: one instance runs, the three others skip it.
    await Promise.race(instances.map((p) => p.waitFor(() => p.count(STORED) >= 1, 'a stored backup', 20_000)));
    const winner = instances.find((p) => p.count(STORED) >= 1)!;
    const others = instances.filter((p) => p !== winner);
    await Promise.all(
      others.map((p, i) => p.waitFor(() => p.count(SKIPPED) > skippedBefore[instances.indexOf(p)], `instance ${i} to skip`, 10_000)),
    );
    await Promise.all(instances.map((p) => p.stop('SIGTERM')));

    const started = instances.map((p) => p.count(STARTED));
    expect(started.reduce((a, b) => a + b, 0)).toBe(1);
    expect(instances.map((p) => p.count(STORED)).reduce((a, b) => a + b, 0)).toBe(1);
    const lockName = kind === 'postgres' ? 'PostgreSQL advisory lock' : '(MySQL|MariaDB) GET_LOCK';
    for (const p of others) expect(p.out).toMatch(new RegExp(`Scheduled run skipped: another instance holds the ${lockName}`));

    const zips = fs.readdirSync(path.join(app.dir, 'storage/backups', appName));
    expect(zips.filter((f) => f.endsWith('.zip'))).toHaveLength(1);
    expect(zips.filter((f) => !f.endsWith('.zip'))).toEqual([]);
  });
});
