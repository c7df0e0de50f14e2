/**
 * Coming from Laravel (issue 19), through the compiled CLI: archives in spatie/laravel-backup's
 * layout (db-dumps/<engine>-<db>.sql or .sql.gz from the real pg_dump / mariadb-dump, the files
 * under their absolute paths without the leading slash, no manifest), written the way it
 * writes them by PHP's ZipArchive (AES-256 per file, folders plain; and without a password) and
 * by 7-Zip with folder entries, are listed, verified (saying what cannot be checked),
 * test-restored into a scratch database and restored into PostgreSQL and MariaDB through the
 * same staging, safety backup and swap as our own archives; tables compared row by row, files
 * byte for byte. Trust rules stay: a plain archive needs an explicit choice, a wrong password
 * is "wrong password", a dump of another engine is refused.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ConnectionInfo } from '../../libs/backup/src/sources/connection-info';
import { CliResult, runCli, tempAppDir } from '../support/cli';
import { ADMIN, createTestDatabase, rowCounts, runSql, seedDemo, tableContents, TestDatabase } from '../support/databases';
import { run7z } from '../support/seven-zip';
import { filesBelow } from '../restore/restore.fixtures';

/** Every file below `dir` as its SHA-256 (a failed byte-for-byte comparison then diffs fast). */
const filesIn = (dir: string) =>
  Object.fromEntries(
    Object.entries(filesBelow(dir)).map(([path, bytes]) => [
      path,
      `${bytes.length} bytes, sha256 ${createHash('sha256').update(bytes).digest('hex')}`,
    ]),
  );

const PASSWORD = 'laravel-backup-password-0123456789-abcdef';
const APP = 'laravel-shop';
/** Where the Laravel app lived: its files are archived under this path without the leading slash. */
const OLD_ROOT = 'var/www/app';
const UPLOADS = `${OLD_ROOT}/storage/app/uploads`;
/** The same uploaded scan in every archive of a run. */
const SCAN = randomBytes(150_000);

const dbUrl = (c: ConnectionInfo) => `${c.driver === 'postgres' ? 'postgres' : 'mysql'}://${c.username}@${c.host}:${c.port}/${c.database}`;
const output = (r: CliResult) => `${r.stdout}\n${r.stderr}`;

/** The dump spatie's db-dumper makes: plain pg_dump, or mysqldump with --skip-comments --extended-insert. */
function dumpLikeSpatie(c: ConnectionInfo): Buffer {
  return c.driver === 'postgres'
    ? execFileSync('pg_dump', ['-h', c.host!, '-p', String(c.port), '-U', c.username!, c.database], { maxBuffer: 64 << 20 })
    : execFileSync(
        'mariadb-dump',
        [
          '-h',
          c.host!,
          '-P',
          String(c.port),
          '-u',
          c.username!,
          '--skip-comments',
          '--extended-insert',
          '--single-transaction',
          c.database,
        ],
        { maxBuffer: 64 << 20 },
      );
}

/** spatie's temporary folder as it zips it: db-dumps/ and the app's files under var/www/app/. */
function spatieTree(dumpName: string, dump: Buffer): string {
  const root = mkdtempSync(join(tmpdir(), 'nbt-spatie-tree-'));
  mkdirSync(join(root, 'db-dumps'));
  writeFileSync(join(root, 'db-dumps', dumpName), dump);
  mkdirSync(join(root, UPLOADS, 'clinic-1', 'x-rays'), { recursive: true });
  mkdirSync(join(root, UPLOADS, 'empty-folder'));
  writeFileSync(join(root, UPLOADS, 'readme.txt'), 'Patient files\nZürich – 東京\n');
  writeFileSync(join(root, UPLOADS, 'clinic-1', 'x-rays', 'scan.bin'), SCAN);
  writeFileSync(join(root, UPLOADS, 'clinic-1', 'empty.txt'), '');
  return root;
}

/** PHP's ZipArchive, as spatie's Zip class uses it (see spatie-zip.php). */
function zipWithPhp(root: string, out: string, password?: string): void {
  execFileSync('php', [join(__dirname, 'spatie-zip.php'), out, root], {
    env: { PATH: process.env.PATH ?? '', SPATIE_PASSWORD: password ?? '' },
  });
}

/** 7-Zip, WinZip AES-256, folders included (its default). */
async function zipWith7z(root: string, out: string): Promise<void> {
  const r = await run7z(['a', '-tzip', '-bd', '-mem=AES256', '-mm=Deflate', `-p${PASSWORD}`, out, 'db-dumps', 'var'], root);
  expect(r.code).toBe(0);
}

interface App {
  dir: string;
  backups: string;
  env: Record<string, string>;
  cleanup(): void;
}

function laravelApp(target: ConnectionInfo): App {
  const app = tempAppDir('nbt-spatie-app-');
  const backups = join(app.dir, 'storage', 'backups', APP);
  mkdirSync(backups, { recursive: true });
  const env = {
    APP_NAME: APP,
    DB_URL: dbUrl(target),
    BACKUP_ARCHIVE_PASSWORD: PASSWORD,
    BACKUP_INCLUDE: 'storage/app',
    BACKUP_FAILURE_NOTIFICATIONS: '',
    BACKUP_HEALTH_NOTIFICATIONS: '',
    BACKUP_SUCCESS_NOTIFICATIONS: '',
  };
  return { dir: app.dir, backups, env, cleanup: app.cleanup };
}

/** Scratch databases a test restore left behind (`<db>_verify_<hex>`). */
async function scratchesLeft(c: ConnectionInfo): Promise<string[]> {
  const like = `${c.database.slice(0, 40)}\\_verify\\_%`;
  const rows =
    c.driver === 'postgres'
      ? await runSql(ADMIN.postgres, 'SELECT datname AS n FROM pg_database WHERE datname LIKE $1', [like])
      : await runSql(ADMIN.mariadb, `SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '${like}'`);
  return rows.map((r) => String(r.n));
}

describe('spatie/laravel-backup archives on PostgreSQL', () => {
  let source: TestDatabase;
  let target: TestDatabase;
  let app: App;
  let tree: string;

  beforeAll(async () => {
    source = await createTestDatabase('postgres', 'spatie_src');
    await seedDemo(source.connection, { tenants: 3, rowsPerTenant: 5 });
    target = await createTestDatabase('postgres', 'spatie_live');
    app = laravelApp(target.connection);
    const dump = dumpLikeSpatie(source.connection);
    // The gzip compressor's archive: db-dumps/postgresql-<db>.sql.gz.
    tree = spatieTree(`postgresql-${source.connection.database}.sql.gz`, gzipSync(dump));
    zipWithPhp(tree, join(app.backups, '2026-10-01-02-00-00.zip'), PASSWORD);
    // Without a password, and by 7-Zip with folder entries: a plain .sql dump.
    const plainTree = spatieTree(`postgresql-${source.connection.database}.sql`, dump);
    zipWithPhp(plainTree, join(app.backups, '2026-10-02-02-00-00.zip'));
    await zipWith7z(plainTree, join(app.backups, '2026-10-03-02-00-00.zip'));
    rmSync(plainTree, { recursive: true, force: true });
  }, 300_000);

  afterAll(async () => {
    await source?.drop();
    await target?.drop();
    app?.cleanup();
    if (tree) rmSync(tree, { recursive: true, force: true });
  });

  it('lists them as backups and verifies each, saying what could not be checked; a plain one only by explicit choice', async () => {
    const list = await runCli(['backup:list'], app.env, app.dir);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`\\| ${APP} +\\| local +\\| ✅ +\\| [^|]+\\| +3 \\|`));
    // Retention and monitoring count them too: the newest is 2026-10-03, as old as that.
    const clean = await runCli(['backup:clean', '--dry-run'], app.env, app.dir);
    expect({ code: clean.code, out: clean.stdout }).toMatchObject({
      code: 0,
      out: expect.stringMatching(/local \([^)]*\): 3 backup\(s\)/),
    });
    const monitor = await runCli(['backup:monitor'], { ...app.env, BACKUP_MAX_AGE_DAYS: '3650' }, app.dir);
    expect({ code: monitor.code, out: output(monitor) }).toMatchObject({ code: 0 });
    expect(output(await runCli(['backup:monitor'], app.env, app.dir))).toMatch(
      /newest backup on local is too old: laravel-shop\/2026-10-03-02-00-00\.zip/,
    );

    for (const name of ['2026-10-01-02-00-00.zip', '2026-10-03-02-00-00.zip']) {
      const r = await runCli(['backup:verify', name], app.env, app.dir);
      expect({ name, code: r.code, out: output(r) }).toMatchObject({ code: 0 });
      expect(r.stdout).toMatch(new RegExp(`✔ ${APP}/${name}`));
      expect(r.stdout).toMatch(/not checked: no manifest\.json \(a spatie\/laravel-backup archive\): no SHA-256/);
      expect(r.stdout).toMatch(/not checked: no row counts recorded/);
      expect(output(r)).not.toMatch(/corrupt|damaged/i);
    }

    const plain = await runCli(['backup:verify', '2026-10-02-02-00-00.zip'], app.env, app.dir);
    expect(plain.code).toBe(1);
    expect(output(plain)).toMatch(/The archive is not authenticated: none of its 4 entries is encrypted/);
    const allowed = await runCli(['backup:verify', '2026-10-02-02-00-00.zip', '--allow-unencrypted'], app.env, app.dir);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toMatch(/WARNING: --allow-unencrypted: 4 entries are not encrypted/);
    const noEncryption = { ...app.env, BACKUP_ENCRYPTION: 'none', BACKUP_ARCHIVE_PASSWORD: '' };
    expect((await runCli(['backup:verify', '2026-10-02-02-00-00.zip'], noEncryption, app.dir)).code).toBe(0);
  });

  it('test-restores the gzip-compressed dump into a scratch database and reports the rows it loaded', async () => {
    const r = await runCli(['backup:verify', '2026-10-01-02-00-00.zip', '--test-restore', '--json'], app.env, app.dir);
    expect({ code: r.code, err: r.stderr }).toMatchObject({ code: 0 });
    const [backup] = JSON.parse(r.stdout).backups;
    expect(backup.layout).toBe('spatie');
    expect(backup.unchecked).toHaveLength(2);
    const [test] = backup.testRestore;
    expect(test).toMatchObject({ driver: 'postgres', database: source.connection.database, ok: true, scratchDropped: true });
    const loaded = Object.fromEntries(
      test.tables.map((t: { table: string; actual: number }) => [t.table.replace(/^public\./, ''), t.actual]),
    );
    expect(loaded).toEqual(await rowCounts(source.connection));
    expect(test.tables.every((t: { expected: unknown }) => t.expected === null)).toBe(true);
    expect(await scratchesLeft(target.connection)).toEqual([]);

    const text = await runCli(['backup:verify', '2026-10-01-02-00-00.zip', '--test-restore'], app.env, app.dir);
    expect(text.stdout).toMatch(/loaded, no recorded row counts to compare/);
    expect(text.stdout).toMatch(/· (public\.)?users: 15 row\(s\) loaded/);
  });

  it('a wrong password is still "wrong password", and nothing changes', async () => {
    await seedDemo(target.connection, { tenants: 1, rowsPerTenant: 2 }).catch(() => undefined);
    const before = await tableContents(target.connection);
    const wrong = { ...app.env, BACKUP_ARCHIVE_PASSWORD: 'not-the-laravel-password-0123456789-xyz' };
    for (const args of [
      ['backup:verify', '2026-10-01-02-00-00.zip'],
      ['backup:restore', '2026-10-01-02-00-00.zip', '--force', '--strip-prefix', OLD_ROOT],
    ]) {
      const r = await runCli(args, wrong, app.dir);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(output(r)).toMatch(/Wrong password for the archive/);
    }
    expect(await tableContents(target.connection)).toEqual(before);
    expect(filesIn(join(app.dir, 'storage', 'app'))).toEqual({});
  });

  it('restores the database and the files in place through staging, a safety backup and the swap', async () => {
    // The live app differs from the archive: other rows, a table of its own, a changed file.
    await runSql(target.connection, 'CREATE TABLE IF NOT EXISTS live_marker (id int); INSERT INTO live_marker VALUES (42)');
    mkdirSync(join(app.dir, 'storage', 'app', 'uploads'), { recursive: true });
    writeFileSync(join(app.dir, 'storage', 'app', 'uploads', 'readme.txt'), 'the live version\n');

    // In place without knowing the old app root is refused before anything is read.
    const guess = await runCli(['backup:restore', '2026-10-01-02-00-00.zip', '--force'], app.env, app.dir);
    expect(guess.code).toBe(1);
    expect(output(guess)).toMatch(/holds its files under "var\/www\/app\/storage\/app\/uploads\/"[\s\S]*--strip-prefix/);

    const r = await runCli(['backup:restore', '2026-10-01-02-00-00.zip', '--force', '--strip-prefix', `/${OLD_ROOT}`], app.env, app.dir);
    expect({ code: r.code, out: output(r) }).toMatchObject({ code: 0 });
    expect(output(r)).toMatch(/has no manifest\.json: read as a spatie\/laravel-backup archive \(1 dump\(s\), 3 file\(s\)\)/);
    expect(output(r)).toMatch(/Loading into the staging database/);
    expect(output(r)).toMatch(/Safety backup stored on local: laravel-shop\/pre-restore-/);
    expect(r.stdout).toMatch(/· (public\.)?users: 15 row\(s\) restored \(the archive records no row count to compare\)/);
    expect(r.stdout).toMatch(/Restore completed; the archive records no row counts/);

    expect(await tableContents(target.connection)).toEqual(await tableContents(source.connection));
    expect(filesIn(join(app.dir, 'storage', 'app'))).toEqual(filesIn(join(tree, OLD_ROOT, 'storage', 'app')));
    const safety = readdirSync(app.backups).filter((n) => n.startsWith('pre-restore-'));
    expect(safety).toHaveLength(1);
  });
});

describe('spatie/laravel-backup archives on MariaDB', () => {
  let source: TestDatabase;
  let target: TestDatabase;
  let app: App;
  let tree: string;

  beforeAll(async () => {
    source = await createTestDatabase('mariadb', 'spatie_src');
    await seedDemo(source.connection, { tenants: 3, rowsPerTenant: 4 });
    target = await createTestDatabase('mariadb', 'spatie_live');
    await seedDemo(target.connection, { tenants: 1, rowsPerTenant: 2 });
    app = laravelApp(target.connection);
    const dump = dumpLikeSpatie(source.connection);
    tree = spatieTree(`mysql-${source.connection.database}.sql`, dump);
    zipWithPhp(tree, join(app.backups, '2026-10-01-02-00-00.zip'), PASSWORD);
    const gzTree = spatieTree(`mysql-${source.connection.database}.sql.gz`, gzipSync(dump));
    await zipWith7z(gzTree, join(app.backups, '2026-10-02-02-00-00.zip'));
    rmSync(gzTree, { recursive: true, force: true });
    // A PostgreSQL app's archive, misplaced into this app's folder.
    const pgTree = spatieTree('postgresql-shop.sql', Buffer.from('CREATE TABLE t (id int);\n'));
    zipWithPhp(pgTree, join(app.backups, '2026-09-30-02-00-00.zip'), PASSWORD);
    rmSync(pgTree, { recursive: true, force: true });
  }, 300_000);

  afterAll(async () => {
    await source?.drop();
    await target?.drop();
    app?.cleanup();
    if (tree) rmSync(tree, { recursive: true, force: true });
  });

  it('test-restores the ZipArchive archive into a scratch database and reports the rows it loaded', async () => {
    const r = await runCli(['backup:verify', '2026-10-01-02-00-00.zip', '--test-restore', '--json'], app.env, app.dir);
    expect({ code: r.code, err: r.stderr }).toMatchObject({ code: 0 });
    const [test] = JSON.parse(r.stdout).backups[0].testRestore;
    expect(test).toMatchObject({ driver: 'mysql', ok: true, scratchDropped: true });
    expect(Object.fromEntries(test.tables.map((t: { table: string; actual: number }) => [t.table, t.actual]))).toEqual(
      await rowCounts(source.connection),
    );
    expect(await scratchesLeft(target.connection)).toEqual([]);
  });

  it('restores the 7-Zip archive (folder entries, gzip dump) in place, its files to --files-to without their common root', async () => {
    const r = await runCli(['backup:restore', '2026-10-02-02-00-00.zip', '--force', '--files-to', 'restored'], app.env, app.dir);
    expect({ code: r.code, out: output(r) }).toMatchObject({ code: 0 });
    expect(output(r)).toMatch(/Its files lose the prefix "var\/www\/app\/storage\/app\/uploads\/" \(their common folder\)/);
    expect(output(r)).toMatch(/Safety backup stored on local/);
    expect(await tableContents(target.connection)).toEqual(await tableContents(source.connection));
    expect(filesIn(join(app.dir, 'restored'))).toEqual(filesIn(join(tree, UPLOADS)));
  });

  it('refuses a PostgreSQL dump for a MariaDB app before anything changes', async () => {
    const before = await tableContents(target.connection);
    const r = await runCli(['backup:restore', '2026-09-30-02-00-00.zip', '--force', '--files-to', 'other'], app.env, app.dir);
    expect(r.code).toBe(1);
    expect(output(r)).toMatch(
      /holds a dump of PostgreSQL "shop", but this app restores into MySQL\/MariaDB "default": another database engine; nothing was changed/,
    );
    expect(await tableContents(target.connection)).toEqual(before);
    expect(filesIn(join(app.dir, 'other'))).toEqual({});
  });
});

describe('our own archive re-packed by 7-Zip, folder entries included', () => {
  let db: TestDatabase;
  let app: App;

  beforeAll(async () => {
    db = await createTestDatabase('postgres', 'spatie_own');
    await seedDemo(db.connection, { tenants: 2, rowsPerTenant: 3 });
    app = laravelApp(db.connection);
    mkdirSync(join(app.dir, 'storage', 'app', 'docs', 'deep'), { recursive: true });
    writeFileSync(join(app.dir, 'storage', 'app', 'docs', 'deep', 'a.txt'), 'a\n');
    expect((await runCli(['backup:run', '--filename', 'own.zip'], app.env, app.dir)).code).toBe(0);
    const work = mkdtempSync(join(tmpdir(), 'nbt-spatie-repack-'));
    try {
      expect((await run7z(['x', '-y', '-bd', `-p${PASSWORD}`, `-o${work}`, join(app.backups, 'own.zip')])).code).toBe(0);
      expect((await run7z(['a', '-tzip', '-bd', '-mem=AES256', `-p${PASSWORD}`, join(app.backups, 'repacked.zip'), '.'], work)).code).toBe(
        0,
      );
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 300_000);

  afterAll(async () => {
    await db?.drop();
    app?.cleanup();
  });

  it('verifies and plans a restore: its folder entries are neither corrupt nor unauthenticated', async () => {
    const verify = await runCli(['backup:verify', 'repacked.zip'], app.env, app.dir);
    expect({ code: verify.code, out: output(verify) }).toMatchObject({ code: 0 });
    expect(verify.stdout).not.toMatch(/not checked/);
    const dry = await runCli(['backup:restore', 'repacked.zip', '--dry-run', '--files-to', 'beside'], app.env, app.dir);
    expect({ code: dry.code, out: output(dry) }).toMatchObject({ code: 0 });
  });
});
