/**
 * Fault class "dump-tool": the database dump tool dies half-way. A fake `pg_dump` /
 * `mariadb-dump` (a shell script first on the CLI process's PATH; it answers `--version` like
 * the real one) writes a few MiB of SQL, so archive bytes already reached both disks, then exits
 * 1 with a message on stderr, or kills itself with SIGKILL. The run must fail with exit 1 and
 * the tool's own message, and keep nothing: no archive and no .part on the local disk, no
 * object in the bucket, no temporary file (password file) left in TMPDIR.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listFiles, runCli, tempAppDir } from '../support/cli';
import { createTestDatabase, DbKind, TestDatabase } from '../support/databases';
import { startS3Server, TestS3Server } from '../support/s3.server';
import { baseEnv, dbUrl, faultCase, faultClass, s3Env } from './faults.fixtures';

const tally = faultClass('dump-tool');

/** A shell script standing in for a dump tool: ~3 MiB of SQL on stdout, then `ending`. */
function fakeTool(versionLine: string, ending: string): string {
  return `#!/bin/sh
if [ "$1" = "--version" ] || [ "$1" = "-V" ]; then echo "${versionLine}"; exit 0; fi
echo "-- fake dump"
echo "CREATE TABLE tenants (id integer PRIMARY KEY, name text);"
yes "INSERT INTO tenants VALUES (1, 'half-way data of a dump that will not finish');" | head -c 3145728
echo
${ending}
`;
}

const EXIT_1 = `echo "pg_dump: error: query failed: server closed the connection unexpectedly" >&2
exit 1`;
const KILLED = 'kill -9 $$';
const MARIADB_EXIT_2 = `echo "mariadb-dump: Error 2013: Lost connection to server during query when dumping table \\\`tenants\\\` at row: 1234" >&2
exit 2`;

describe('fault class dump-tool: the dump tool dies half-way through the dump', () => {
  let s3: TestS3Server;
  let app: ReturnType<typeof tempAppDir>;
  const dbs: Partial<Record<DbKind, TestDatabase>> = {};

  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'backups' });
    app = tempAppDir('nest-backup-dump-tool-');
    [dbs.postgres, dbs.mariadb] = await Promise.all([
      createTestDatabase('postgres', 'fakedump'),
      createTestDatabase('mariadb', 'fakedump'),
    ]);
    for (const db of [dbs.postgres!, dbs.mariadb!]) {
      const seeded = await runCli(
        ['demo:seed', '--tenants', '2', '--rows', '3'],
        baseEnv('seed', { DB_URL: dbUrl(db.connection) }),
        app.dir,
      );
      expect(seeded.code).toBe(0);
    }
  });
  afterAll(async () => {
    await Promise.all([s3?.stop(), dbs.postgres?.drop(), dbs.mariadb?.drop()]);
    app?.cleanup();
  });

  /** Runs backup:run with `tools` (name → script) first on PATH; returns the output and leftovers. */
  async function runWithFakeTools(name: string, db: TestDatabase, tools: Record<string, string>) {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'nbt-fake-tools-'));
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nbt-fake-tmp-'));
    try {
      for (const [tool, script] of Object.entries(tools)) fs.writeFileSync(path.join(bin, tool), script, { mode: 0o755 });
      const env = baseEnv(name, {
        ...s3Env(s3.endpoint, s3),
        DB_URL: dbUrl(db.connection),
        BACKUP_DISKS: 'local,s3',
        BACKUP_S3_PART_SIZE_MB: '5',
        BACKUP_COMPRESSION_LEVEL: '0',
        PATH: `${bin}:${process.env.PATH ?? ''}`,
        TMPDIR: tmp,
      });
      const run = await runCli(['backup:run'], env, app.dir);
      return { run, tmpLeft: listFiles(tmp) };
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }

  async function expectNothingKept(name: string, tmpLeft: string[]): Promise<void> {
    expect(listFiles(path.join(app.dir, 'storage/backups', name))).toEqual([]);
    expect(await s3.listKeys(`${name}/`)).toEqual([]);
    expect(tmpLeft).toEqual([]);
  }

  faultCase(tally, 'pg_dump exits 1 after 3 MiB of SQL: exit 1, its stderr message in the error, nothing kept', async () => {
    const name = 'dump-pg-exit1';
    const { run, tmpLeft } = await runWithFakeTools(name, dbs.postgres!, { pg_dump: fakeTool('pg_dump (PostgreSQL) 16.4', EXIT_1) });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /pg_dump failed for PostgreSQL database "nbt_fakedump_[^"]+" .*\(exited with code 1\): pg_dump: error: query failed: server closed the connection unexpectedly/,
    );
    expect(run.stderr).toMatch(/Backup FAILED/);
    expect(run.stdout).not.toMatch(/✔/);
    await expectNothingKept(name, tmpLeft);
  });

  faultCase(tally, 'pg_dump killed by SIGKILL after 3 MiB of SQL: exit 1, "killed by SIGKILL" in the error, nothing kept', async () => {
    const name = 'dump-pg-killed';
    const { run, tmpLeft } = await runWithFakeTools(name, dbs.postgres!, { pg_dump: fakeTool('pg_dump (PostgreSQL) 16.4', KILLED) });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/pg_dump failed for PostgreSQL database .*was killed by SIGKILL/);
    expect(run.stdout).not.toMatch(/✔/);
    await expectNothingKept(name, tmpLeft);
  });

  faultCase(
    tally,
    'mariadb-dump exits 2 (lost connection) after 3 MiB of SQL: exit 1, its message in the error, nothing kept',
    async () => {
      const name = 'dump-maria-exit2';
      const script = fakeTool('mariadb-dump from 11.4.2-MariaDB, client 10.19 for debian-linux-gnu (x86_64)', MARIADB_EXIT_2);
      const { run, tmpLeft } = await runWithFakeTools(name, dbs.mariadb!, { 'mariadb-dump': script, mysqldump: script });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /mariadb-dump failed for .*\(exited with code 2\): mariadb-dump: Error 2013: Lost connection to server during query/,
      );
      expect(run.stdout).not.toMatch(/✔/);
      await expectNothingKept(name, tmpLeft);
    },
  );
});
