/**
 * Restore and verify agree on a real schema (partitions, inheritance, a materialized view,
 * domains, enums, views, triggers, routines, sequences, generated columns, full text, a second
 * schema): one backup:run, then each kind of restore — `--to-database` (a new database, over
 * three psql sessions), in place with `--force` (two), and `backup:verify --test-restore` (the
 * default one session) — must bring back the same schema
 * dump and the same rows per table, and every table the manifest lists must check out ✔.
 */
import { runCli, tempAppDir } from '../support/cli';
import { ADMIN, createTestDatabase, runSql, uniqueName } from '../support/databases';
import { checksumsOf, createRichSchema, RICH_SCHEMA_TABLES, RichSchema, schemaOf } from '../support/rich-schema';
import { baseEnv, dbUrl } from '../faults/faults.fixtures';
import { loaderFor } from '../../libs/backup/src/sources/dumper.registry';

/** Drops the database and every one named after it (staging `_restore_`, `_old_`, `_verify_` copies). */
async function dropDatabaseAndCopies(kind: 'postgres' | 'mariadb', name: string): Promise<void> {
  const like = `${name.replace(/_/g, '\\_')}%`;
  if (kind === 'postgres') {
    for (const r of await runSql(ADMIN.postgres, 'SELECT datname AS n FROM pg_database WHERE datname LIKE $1', [like])) {
      await runSql(ADMIN.postgres, `DROP DATABASE IF EXISTS "${r.n}" WITH (FORCE)`);
    }
  } else {
    for (const r of await runSql(ADMIN.mariadb, 'SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?', [
      like,
    ])) {
      await runSql(ADMIN.mariadb, `DROP DATABASE IF EXISTS \`${r.n}\``);
    }
  }
}

describe.each(['postgres', 'mariadb'] as const)('a rich %s schema through backup, restore and test restore', (kind) => {
  // Run in afterEach, which jest also runs when the test times out (a finally would wait for it).
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    while (cleanups.length) await Promise.resolve(cleanups.pop()!()).catch(() => undefined);
  });

  it('comes back with the same schema and rows after each kind of restore, and verify checks every table ✔', async () => {
    const app = tempAppDir('nbt-rich-');
    cleanups.push(() => app.cleanup());
    const copyName = uniqueName('rich_copy');
    cleanups.push(() => dropDatabaseAndCopies(kind, copyName));
    const db = await createTestDatabase(kind, 'rich');
    cleanups.push(() => dropDatabaseAndCopies(kind, db.connection.database));
    const schema: RichSchema = await createRichSchema(db.connection);
    cleanups.unshift(() => schema.cleanup()); // last: after the databases that hold its grants

    const env = baseEnv('rich-app', { DB_URL: dbUrl(db.connection), BACKUP_INCLUDE: 'storage/app' });
    const expectedSchema = await schemaOf(db.connection);
    const expectedRows = await checksumsOf(db.connection);

    const run = await runCli(['backup:run', '--only-db'], env, app.dir);
    expect(run.stderr + run.stdout).toMatch(/Backup completed/);
    expect(run.code).toBe(0);

    // Test restore: every table the manifest lists, each ✔, and the scratch database gone.
    const verify = await runCli(['backup:verify', '--latest', '--test-restore'], env, app.dir);
    expect(verify.stdout).not.toMatch(/✘/);
    expect(verify.code).toBe(0);
    const verifyJson = JSON.parse((await runCli(['backup:verify', '--latest', '--test-restore', '--json'], env, app.dir)).stdout);
    const [test] = verifyJson.backups[0].testRestore;
    expect(test).toMatchObject({ ok: true, scratchDropped: true });
    expect(test.tables.map((t: { table: string }) => t.table)).toEqual(RICH_SCHEMA_TABLES[kind]);
    expect(test.tables.filter((t: { ok: boolean }) => !t.ok)).toEqual([]);

    // Beside production, into a new database; PostgreSQL over three sessions (BACKUP_RESTORE_JOBS).
    const copy = { ...db.connection, database: copyName };
    const beside = await runCli(
      ['backup:restore', '--latest', '--only-db', '--to-database', copyName, '--force'],
      { ...env, BACKUP_RESTORE_JOBS: '3' },
      app.dir,
    );
    expect(beside.code).toBe(0);
    expect(beside.stdout + beside.stderr).toMatch(/every row count matches the manifest/);
    expect(await schemaOf(copy)).toEqual(expectedSchema);
    expect(await checksumsOf(copy)).toEqual(expectedRows);
    // The loader's own count (restore's fallback when psql's COPY tags are not there, and
    // MariaDB's only count) names the same tables with the same rows as the manifest.
    const manifest = Object.fromEntries(test.tables.map((t: { table: string; expected: number }) => [t.table, t.expected]));
    expect(await loaderFor(db.connection.driver).countRows(copy)).toEqual(manifest);

    // In place, over the live database; PostgreSQL over two sessions.
    const inPlace = await runCli(
      ['backup:restore', '--latest', '--only-db', '--force', '--no-safety-backup'],
      { ...env, BACKUP_RESTORE_JOBS: '2' },
      app.dir,
    );
    expect(inPlace.code).toBe(0);
    expect(inPlace.stdout + inPlace.stderr).toMatch(/every row count matches the manifest/);
    expect(await schemaOf(db.connection)).toEqual(expectedSchema);
    expect(await checksumsOf(db.connection)).toEqual(expectedRows);
  }, 300_000); // five CLI runs; on a loaded machine each start-up alone takes seconds
});
