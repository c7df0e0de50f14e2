/**
 * Only our own archives are trusted (issue 16), through the compiled CLI on a real PostgreSQL
 * (and MariaDB) database. With a password configured, an archive whose entries are not all
 * WinZip AES with it could have been planted by anyone able to write to the storage: restore,
 * verify, verify --test-restore and tenant-restore refuse it before a byte is used, unless
 * --allow-unencrypted (which prints a warning). And an archive restores only into the app and
 * the database engine it was made for, unless --allow-other-app / --allow-other-engine.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZipReader } from '../../libs/backup/src/archive';
import { ConnectionInfo } from '../../libs/backup/src/sources/connection-info';
import { CliResult, runCli, tempAppDir } from '../support/cli';
import { ADMIN, createTestDatabase, runSql, tableContents, TestDatabase } from '../support/databases';
import { run7z } from '../support/seven-zip';
import { filesBelow } from './restore.fixtures';

const PASSWORD = 'trust-tests-password-0123456789-abcdefgh';
const APP = 'trust-app';
const LIVE_FILE = 'storage/app/contract.txt';

const dbUrl = (c: ConnectionInfo) => `${c.driver === 'postgres' ? 'postgres' : 'mysql'}://${c.username}@${c.host}:${c.port}/${c.database}`;
const output = (r: CliResult) => `${r.stdout}\n${r.stderr}`;

describe('only our own archives are trusted (backup:restore, backup:verify, backup:tenant-restore)', () => {
  const app = tempAppDir('nbt-restore-trust-');
  const backups = join(app.dir, 'storage', 'backups', APP);
  let pg: TestDatabase;
  let maria: TestDatabase | undefined;
  let env: Record<string, string>;
  let dumpEntry: string;

  /** The live state differs from every archive: a table and a file the backups do not hold, one user fewer. */
  async function diverge(): Promise<void> {
    await runSql(
      pg.connection,
      'CREATE TABLE IF NOT EXISTS live_marker (id int); DELETE FROM live_marker; INSERT INTO live_marker VALUES (42)',
    );
    await runSql(pg.connection, 'DELETE FROM users WHERE id = (SELECT MIN(id) FROM users WHERE tenant_id = 1)');
    writeFileSync(join(app.dir, LIVE_FILE), 'signed live version\n');
  }

  const liveState = async () => ({ rows: await tableContents(pg.connection), files: filesBelow(join(app.dir, 'storage', 'app')) });

  /** Scratch databases a test restore or a tenant restore left on the server (`<db>_verify_<hex>`). */
  const scratchLeft = async () =>
    (
      await runSql(ADMIN.postgres, `SELECT datname FROM pg_database WHERE datname LIKE $1`, [
        `${pg.connection.database.slice(0, 40)}\\_verify\\_%`,
      ])
    ).map((r) => r.datname);

  /** Replaces `entry` of a copy of `from` by a plain (unencrypted) copy of its own bytes, with the real 7-Zip. */
  async function withPlainEntry(from: string, to: string, entry: string): Promise<void> {
    const work = mkdtempSync(join(tmpdir(), 'nbt-trust-7z-'));
    try {
      copyFileSync(from, to);
      expect((await run7z(['x', '-y', '-bd', `-p${PASSWORD}`, `-o${work}`, from, entry])).code).toBe(0);
      expect((await run7z(['d', '-tzip', '-bd', to, entry])).code).toBe(0);
      expect((await run7z(['a', '-tzip', '-bd', '-mm=Deflate', to, entry], work)).code).toBe(0);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  beforeAll(async () => {
    pg = await createTestDatabase('postgres', 'trust');
    env = {
      APP_NAME: APP,
      DB_URL: dbUrl(pg.connection),
      BACKUP_ARCHIVE_PASSWORD: PASSWORD,
      BACKUP_INCLUDE: 'storage/app',
      BACKUP_FAILURE_NOTIFICATIONS: '',
      BACKUP_HEALTH_NOTIFICATIONS: '',
      BACKUP_SUCCESS_NOTIFICATIONS: '',
    };
    expect((await runCli(['demo:seed', '--tenants', '3', '--rows', '3'], env, app.dir)).code).toBe(0);
    writeFileSync(join(app.dir, LIVE_FILE), 'archived version\n');
    expect((await runCli(['backup:run', '--filename', 'good.zip'], env, app.dir)).code).toBe(0);
    // Written by the project's own ZipWriter without the password: every entry plain.
    expect((await runCli(['backup:run', '--filename', 'plain.zip'], { ...env, BACKUP_ENCRYPTION: 'none' }, app.dir)).code).toBe(0);
    // Another app (same password), copied into this app's folder.
    expect((await runCli(['backup:run', '--filename', 'other.zip'], { ...env, APP_NAME: 'other-app' }, app.dir)).code).toBe(0);
    copyFileSync(join(app.dir, 'storage', 'backups', 'other-app', 'other.zip'), join(backups, 'other-app.zip'));

    const zip = await ZipReader.open(join(backups, 'good.zip'), { password: PASSWORD });
    dumpEntry = zip.entries().find((e) => e.name.startsWith('db-dumps/'))!.name;
    await zip.close();
    // A mix, each entry's bytes the backup's own (so every SHA-256 in the manifest matches):
    // the manifest encrypted but the dump plain, and the other way round.
    await withPlainEntry(join(backups, 'good.zip'), join(backups, 'dump-plain.zip'), dumpEntry);
    await withPlainEntry(join(backups, 'good.zip'), join(backups, 'manifest-plain.zip'), 'manifest.json');
  }, 300_000);

  afterAll(async () => {
    await pg?.drop();
    await maria?.drop();
    app.cleanup();
  });

  it.each([
    ['plain.zip', 'written by ZipWriter without the password', /none of its \d+ entries is encrypted with the backup password/],
    ['dump-plain.zip', 'manifest encrypted, dump plain (7-Zip)', /entry "db-dumps\/postgres-.*\.sql" is not encrypted/],
    ['manifest-plain.zip', 'manifest plain, dump encrypted (7-Zip)', /entry "manifest\.json" is not encrypted/],
  ])(
    '%s (%s) is refused by restore, verify, verify --test-restore and tenant-restore; nothing changes',
    async (name, _what, names) => {
      await diverge();
      const before = await liveState();
      const runs = {
        restore: await runCli(['backup:restore', name, '--force'], env, app.dir),
        verify: await runCli(['backup:verify', name], env, app.dir),
        testRestore: await runCli(['backup:verify', name, '--test-restore'], env, app.dir),
        tenantRestore: await runCli(['backup:tenant-restore', '1', '--from-backup', name, '--force'], env, app.dir),
      };
      expect(Object.fromEntries(Object.entries(runs).map(([command, r]) => [command, r.code]))).toEqual({
        restore: 1,
        verify: 1,
        testRestore: 1,
        tenantRestore: 1,
      });
      for (const r of Object.values(runs)) {
        expect(output(r)).toMatch(/The archive is not authenticated/);
        expect(output(r)).toMatch(names);
        expect(output(r)).toMatch(/anyone with write access to the storage could have written it/);
        expect(output(r)).toMatch(/--allow-unencrypted/);
        expect(output(r)).not.toContain(PASSWORD);
      }
      expect(runs.testRestore.stdout).not.toMatch(/test restore postgres/);
      expect(await liveState()).toEqual(before);
      expect(await scratchLeft()).toEqual([]);
    },
    600_000,
  );

  it('with BACKUP_ENCRYPTION=none a plain archive verifies as before', async () => {
    const r = await runCli(['backup:verify', 'plain.zip'], { ...env, BACKUP_ENCRYPTION: 'none' }, app.dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/✔ trust-app\/plain\.zip/);
  }, 300_000);

  it("another app's archive is refused by restore and tenant-restore before anything changes, and restored with --allow-other-app", async () => {
    await diverge();
    const before = await liveState();
    const refused = await runCli(['backup:restore', 'other-app.zip', '--force'], env, app.dir);
    const tenantRefused = await runCli(['backup:tenant-restore', '1', '--from-backup', 'other-app.zip', '--force'], env, app.dir);
    expect([refused.code, tenantRefused.code]).toEqual([1, 1]);
    for (const r of [refused, tenantRefused]) {
      expect(r.stderr).toMatch(
        /made by the app "other-app", not by this app "trust-app" \(BACKUP_NAME\); nothing was changed[\s\S]*--allow-other-app/,
      );
    }
    expect(await liveState()).toEqual(before);
    expect(await scratchLeft()).toEqual([]);

    const tenantAllowed = await runCli(
      ['backup:tenant-restore', '1', '--from-backup', 'other-app.zip', '--force', '--allow-other-app'],
      env,
      app.dir,
    );
    expect(tenantAllowed.code).toBe(0);
    expect(tenantAllowed.stderr).toMatch(/WARNING: --allow-other-app/);

    const allowed = await runCli(['backup:restore', 'other-app.zip', '--force', '--allow-other-app'], env, app.dir);
    expect(allowed.code).toBe(0);
    expect(allowed.stderr).toMatch(/WARNING: --allow-other-app/);
    expect(readFileSync(join(app.dir, LIVE_FILE), 'utf8')).toBe('archived version\n');
    expect((await tableContents(pg.connection)).live_marker).toBeUndefined();
  }, 600_000);

  it("a PostgreSQL app's archive restored by a MariaDB app is refused (files untouched), and with --allow-other-engine only the files are restored", async () => {
    maria = await createTestDatabase('mariadb', 'trust');
    await runSql(maria.connection, "CREATE TABLE live_rows (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO live_rows VALUES (1, 'live')");
    const mariaEnv = { ...env, DB_URL: dbUrl(maria.connection) };
    writeFileSync(join(app.dir, LIVE_FILE), 'signed live version\n');
    const rows = await tableContents(maria.connection);
    const files = filesBelow(join(app.dir, 'storage', 'app'));

    const refused = await runCli(['backup:restore', 'good.zip', '--force'], mariaEnv, app.dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /holds a dump of PostgreSQL ".*", but this app restores into MySQL\/MariaDB "default": another database engine; nothing was changed[\s\S]*--allow-other-engine/,
    );
    expect(refused.stdout).not.toMatch(/Restore completed/);
    expect(filesBelow(join(app.dir, 'storage', 'app'))).toEqual(files);
    expect(await tableContents(maria.connection)).toEqual(rows);

    const allowed = await runCli(['backup:restore', 'good.zip', '--force', '--allow-other-engine'], mariaEnv, app.dir);
    expect(allowed.code).toBe(0);
    expect(allowed.stderr).toMatch(/WARNING: --allow-other-engine: .*that dump is skipped/);
    expect(allowed.stdout).toMatch(/skipped db-dumps\/postgres-/);
    expect(readFileSync(join(app.dir, LIVE_FILE), 'utf8')).toBe('archived version\n');
    expect(await tableContents(maria.connection)).toEqual(rows);
  }, 600_000);

  it('with --allow-unencrypted a plain archive is read, and each command prints the warning', async () => {
    await diverge();
    const verify = await runCli(['backup:verify', 'plain.zip', '--test-restore', '--allow-unencrypted'], env, app.dir);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/WARNING: --allow-unencrypted: \d+ entries are not encrypted with the backup password/);
    expect(verify.stdout).toMatch(/test restore postgres .* \(dropped\) .*: rows match/);
    expect(await scratchLeft()).toEqual([]);

    const usersOfTenant1 = async () => Number((await runSql(pg.connection, 'SELECT COUNT(*) AS n FROM users WHERE tenant_id = 1'))[0].n);
    const tenantBefore = await usersOfTenant1();
    const tenant = await runCli(
      ['backup:tenant-restore', '1', '--from-backup', 'plain.zip', '--force', '--allow-unencrypted'],
      env,
      app.dir,
    );
    expect(tenant.code).toBe(0);
    expect(tenant.stderr).toMatch(/WARNING: --allow-unencrypted/);
    expect(await usersOfTenant1()).toBe(tenantBefore + 1);
    expect(await scratchLeft()).toEqual([]);

    const restore = await runCli(['backup:restore', 'plain.zip', '--force', '--allow-unencrypted'], env, app.dir);
    expect(restore.code).toBe(0);
    expect(restore.stderr).toMatch(/WARNING: --allow-unencrypted: \d+ entries are not encrypted/);
    expect(restore.stdout).toMatch(/Restore completed/);
    expect(readFileSync(join(app.dir, LIVE_FILE), 'utf8')).toBe('archived version\n');
    expect((await tableContents(pg.connection)).live_marker).toBeUndefined();
  }, 600_000);
});
