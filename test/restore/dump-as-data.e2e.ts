/**
 * A dump is data, never a program. Real archives (the library's ZipWriter, the configured
 * password, a manifest) whose dump was altered to carry a client-side command — psql's `\!`,
 * `\o`, `\copy ... to program`, `\i`; the mariadb client's `system`, `\!`, `source`; SQLite's
 * ATTACH, a dot-command, VACUUM INTO — are refused by a restore, a test restore
 * (backup:verify --test-restore) and a tenant restore from the backup: the error names the
 * command and its line, the command never ran (its marker file does not exist), the live
 * database is exactly as it was and no staging or scratch database is left.
 */
import { createWriteStream, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipReader, ZipWriter } from '../../libs/backup/src/archive';
import { RestoreService } from '../../libs/backup/src/restore/restore.service';
import { loaderFor } from '../../libs/backup/src/sources/dumper.registry';
import { VerifyService } from '../../libs/backup/src/verify/verify.service';
import { listFiles, runCli, tempAppDir } from '../support/cli';
import { ADMIN, createTestDatabase, DB_KINDS, DbKind, runSql, tableContents, TestDatabase } from '../support/databases';
import { TenantHarness, tenantHarness } from '../tenant/tenant.fixtures';
import { PASSWORD } from './restore.fixtures';

interface Hostile {
  /** What the test calls it. */
  name: string;
  /** The lines put into the dump; MARK is replaced by the marker file's path, INCLUDED by a file of `included` lines. */
  lines: string[];
  /** The refusal must name this. */
  refusal: RegExp;
  included?: string[];
}

const HOSTILE: Record<DbKind, Hostile[]> = {
  postgres: [
    { name: '\\! touch', lines: ['\\! touch MARK'], refusal: /psql meta-command `\\!` at line \d+/ },
    { name: '\\o', lines: ['\\o MARK', 'SELECT 1;'], refusal: /psql meta-command `\\o` at line \d+/ },
    { name: '\\copy to program', lines: ["\\copy (SELECT 1) TO PROGRAM 'touch MARK'"], refusal: /psql meta-command `\\copy` at line \d+/ },
    { name: '\\i', lines: ['\\i INCLUDED'], included: ['\\! touch MARK'], refusal: /psql meta-command `\\i` at line \d+/ },
  ],
  mariadb: [
    { name: 'system', lines: ['system touch MARK'], refusal: /mariadb client command `system` at line \d+/ },
    { name: '\\!', lines: ['\\! touch MARK'], refusal: /mariadb client command `\\!` at line \d+/ },
    { name: 'source', lines: ['source INCLUDED'], included: ['system touch MARK'], refusal: /mariadb client command `source` at line \d+/ },
  ],
  sqlite: [
    { name: 'ATTACH', lines: ["ATTACH DATABASE 'MARK' AS x;", 'CREATE TABLE x.t(a);'], refusal: /SQLite `ATTACH` statement at line \d+/ },
    { name: 'dot-command', lines: ['.shell touch MARK'], refusal: /sqlite3 dot-command `.shell` at line \d+/ },
    { name: 'VACUUM INTO', lines: ['COMMIT;', "VACUUM INTO 'MARK';", 'BEGIN;'], refusal: /SQLite `VACUUM INTO` statement at line \d+/ },
  ],
};

/** Where the hostile lines go: after the first table's data (a COPY block's end, an INSERT's `;`). */
function afterFirstData(kind: DbKind, lines: string[]): number {
  const first = lines.findIndex((l) => (kind === 'postgres' ? l === '\\.' : l.startsWith('INSERT INTO')));
  expect(first).toBeGreaterThan(0);
  const end = lines.findIndex((l, i) => i >= first && (kind === 'postgres' || l.endsWith(';')));
  return end + 1;
}

/** Copies archive `key` with `extra` lines put into its dump; the manifest keeps the real facts. */
async function writeHostileCopy(
  folder: string,
  key: string,
  name: string,
  kind: DbKind,
  extra: string[],
  password = PASSWORD,
): Promise<void> {
  const reader = await ZipReader.open(join(folder, key), { password });
  try {
    const manifest = await reader.readManifest();
    const writer = new ZipWriter({ encryption: 'aes256', password, appName: manifest.appName ?? 'tenant-app' });
    const written = pipeline(writer.output, createWriteStream(join(folder, name)));
    for (const entry of manifest.entries) {
      const chunks: Buffer[] = [];
      for await (const chunk of await reader.openEntry(entry.path)) chunks.push(chunk as Buffer);
      let body = Buffer.concat(chunks);
      if (entry.kind === 'database-dump') {
        const lines = body.toString('utf8').split('\n');
        lines.splice(afterFirstData(kind, lines), 0, ...extra);
        body = Buffer.from(lines.join('\n'));
      }
      await writer.addEntry(entry.path, Readable.from([body]), { kind: entry.kind } as never);
    }
    await writer.finish({ databases: manifest.databases });
    await written;
  } finally {
    await reader.close();
  }
}

/** Databases on the server named after the live one: staging (`_restore_`), old (`_old_`), scratch (`_verify_`). */
async function leftovers(db: TestDatabase): Promise<string[]> {
  if (db.kind === 'sqlite') return readdirSync(dirname(db.connection.database)).filter((f) => !f.endsWith('.db'));
  const rows =
    db.kind === 'postgres'
      ? await runSql(ADMIN.postgres, 'SELECT datname AS name FROM pg_database')
      : await runSql(ADMIN.mariadb, 'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA');
  return rows.map((r) => String(r.name)).filter((n) => n.startsWith(`${db.connection.database}_`));
}

describe.each(DB_KINDS)('a %s dump is loaded as data only', (kind) => {
  let db: TestDatabase;
  let h: TenantHarness;
  let folder: string;
  let marks: string;
  let restores: RestoreService;
  let verifier: VerifyService;
  const archives = new Map<string, { name: string; mark: string; included?: string }>();

  beforeAll(async () => {
    db = await createTestDatabase(kind, 'dumpdata');
    // PostgreSQL and MariaDB over two client sessions: each is held to the dump-as-data rules as one is.
    h = await tenantHarness(db, { tenants: 4, rowsPerTenant: 3, restoreJobs: kind === 'sqlite' ? undefined : 2 });
    restores = h.moduleRef.get(RestoreService);
    verifier = h.moduleRef.get(VerifyService);
    marks = mkdtempSync(join(tmpdir(), 'nbt-dump-marks-'));
    const report = await h.backups.run({ onlyDb: true, now: new Date(Date.UTC(2026, 2, 1, 0, 0, 0)) });
    expect(report.ok).toBe(true);
    folder = join(h.appRoot, 'storage', 'backups', 'tenant-app');
    for (const [i, hostile] of HOSTILE[kind].entries()) {
      const mark = join(marks, `ran-${i}`);
      const included = hostile.included && join(marks, `included-${i}.sql`);
      if (included) writeFileSync(included, hostile.included!.map((l) => l.replace('MARK', mark)).join('\n') + '\n');
      const name = `2026-03-01-00-00-${String(i + 1).padStart(2, '0')}.zip`;
      const lines = hostile.lines.map((l) => l.replace('MARK', mark).replace('INCLUDED', included ?? ''));
      await writeHostileCopy(folder, report.key.split('/').pop()!, name, kind, lines);
      archives.set(hostile.name, { name, mark, included });
    }
  });
  afterAll(async () => {
    await h?.close();
    if (db && db.kind !== 'sqlite')
      for (const name of await leftovers(db).catch(() => [])) await loaderFor(db.connection.driver).dropDatabase(ADMIN[db.kind], name);
    await db?.drop();
    if (h) rmSync(h.appRoot, { recursive: true, force: true });
    if (marks) rmSync(marks, { recursive: true, force: true });
  });

  describe.each(HOSTILE[kind].map((x) => [x.name, x] as const))('with %s in the dump', (_name, hostile) => {
    it('restore refuses it: the command never ran, the live database is as it was, no staging database', async () => {
      const { name, mark } = archives.get(hostile.name)!;
      const before = await tableContents(db.connection);
      const err = await restores.restore({ name, onlyDb: true, force: true }).catch((e) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toMatch(hostile.refusal);
      expect(err.message).toMatch(/a dump is loaded as data only/);
      expect(existsSync(mark)).toBe(false);
      expect(await tableContents(db.connection)).toEqual(before);
      expect(await leftovers(db)).toEqual([]);
    });

    it('a test restore (backup:verify --test-restore) refuses it and drops its scratch database', async () => {
      const { name, mark } = archives.get(hostile.name)!;
      const before = await tableContents(db.connection);
      const verified = await verifier.verify({ name, testRestore: true });
      expect(verified.ok).toBe(false);
      const [test] = verified.backups[0].testRestore!;
      expect(test.ok).toBe(false);
      expect(test.error).toMatch(hostile.refusal);
      expect(test.scratchDropped).toBe(true);
      expect(existsSync(mark)).toBe(false);
      expect(await tableContents(db.connection)).toEqual(before);
      expect(await leftovers(db)).toEqual([]);
    });

    it('a tenant restore from that backup refuses it and changes nothing', async () => {
      const { name, mark } = archives.get(hostile.name)!;
      const before = await tableContents(db.connection);
      const err = await h.restores.restore({ tenantId: '3', fromBackup: name, force: true }).catch((e) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toMatch(hostile.refusal);
      expect(existsSync(mark)).toBe(false);
      expect(await tableContents(db.connection)).toEqual(before);
      expect(await leftovers(db)).toEqual([]);
    });
  });
});

describe('on the command line (SQLite app)', () => {
  // Made in the test, so a run that filters it out leaves no folder behind.
  let app: ReturnType<typeof tempAppDir> | undefined;
  afterAll(() => app?.cleanup());

  it('backup:restore and backup:verify --test-restore exit non-zero with the refusal; the command never ran', async () => {
    app = tempAppDir('nbt-dump-data-cli-');
    const env = {
      APP_NAME: 'cli-dump-data',
      BACKUP_ARCHIVE_PASSWORD: PASSWORD,
      BACKUP_FAILURE_NOTIFICATIONS: '',
      BACKUP_HEALTH_NOTIFICATIONS: '',
      BACKUP_SUCCESS_NOTIFICATIONS: '',
      DB_URL: `sqlite:${join(app.dir, 'demo.sqlite')}`,
    };
    const mark = join(app.dir, 'attached.db');
    expect((await runCli(['demo:seed', '--tenants', '2', '--rows', '2'], env, app.dir)).code).toBe(0);
    expect((await runCli(['backup:run', '--only-db'], env, app.dir)).code).toBe(0);
    const [good] = listFiles(app.dir).filter((f) => f.endsWith('.zip'));
    const folder = join(app.dir, dirname(good));
    await writeHostileCopy(folder, good.split('/').pop()!, '2099-01-01-00-00-00.zip', 'sqlite', [
      `ATTACH DATABASE '${mark}' AS x;`,
      'CREATE TABLE x.t(a);',
    ]);
    const before = await tableContents({ name: 'default', driver: 'sqlite', database: join(app.dir, 'demo.sqlite') });

    const restore = await runCli(['backup:restore', '2099-01-01-00-00-00.zip', '--only-db', '--force'], env, app.dir);
    expect(restore.code).not.toBe(0);
    expect(restore.stderr).toMatch(/The dump contains an SQLite `ATTACH` statement at line \d+; a dump is loaded as data only/);
    const verify = await runCli(['backup:verify', '2099-01-01-00-00-00.zip', '--test-restore'], env, app.dir);
    expect(verify.code).not.toBe(0);
    expect(verify.stdout + verify.stderr).toMatch(/SQLite `ATTACH` statement at line \d+/);

    expect(existsSync(mark)).toBe(false);
    expect(await tableContents({ name: 'default', driver: 'sqlite', database: join(app.dir, 'demo.sqlite') })).toEqual(before);
  });
});
