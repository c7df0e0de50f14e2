/**
 * Issue 3, end to end: the demo CLI (a real process) backs up a real PostgreSQL, MariaDB and
 * SQLite database plus uploaded files to the local disk and to s3rver at once; the archive in
 * the bucket is byte-identical to the local one; 7-Zip opens it with the password; the dump
 * loads into an empty database with the engine's own client and gives the source's rows.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConnectionInfo } from 'nest-backup';
import { listFiles, runCli, tempAppDir } from '../support/cli';
import { createTestDatabase, DbKind, tableContents, TestDatabase } from '../support/databases';
import { startS3Server, TestS3Server } from '../support/s3.server';
import { extractWith7z } from '../support/seven-zip';

const PASSWORD = 'correct-horse-battery-staple-0123456789';

export function dbUrl(c: ConnectionInfo): string {
  if (c.driver === 'sqlite') return `sqlite:${c.database}`;
  const auth = c.password ? `${c.username}:${encodeURIComponent(c.password)}` : c.username;
  const scheme = c.driver === 'postgres' ? 'postgres' : 'mysql';
  return `${scheme}://${auth}@${c.host}:${c.port}/${c.database}`;
}

/** Loads a plain SQL dump with the engine's own command-line client, as an operator would. */
function loadWithClient(kind: DbKind, target: ConnectionInfo, dumpFile: string): void {
  const sql = fs.readFileSync(dumpFile);
  if (kind === 'postgres') {
    execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', target.host!, '-U', target.username!, '-d', target.database], {
      input: sql,
    });
  } else if (kind === 'mariadb') {
    execFileSync('mariadb', ['-h', target.host!, '-u', target.username!, target.database], { input: sql });
  } else {
    execFileSync('sqlite3', [target.database], { input: sql });
  }
}

describe('backup:run to local disk and S3', () => {
  let s3: TestS3Server;
  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'backups' });
  });
  afterAll(async () => s3?.stop());

  const envFor = (db: ConnectionInfo, extra: Record<string, string> = {}) => ({
    APP_NAME: 'clinic-saas',
    DB_URL: dbUrl(db),
    BACKUP_DISKS: 'local,s3',
    BACKUP_ARCHIVE_PASSWORD: PASSWORD,
    BACKUP_INCLUDE: 'storage/app',
    BACKUP_FAILURE_NOTIFICATIONS: '',
    BACKUP_HEALTH_NOTIFICATIONS: '',
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_DEFAULT_REGION: s3.region,
    AWS_BUCKET: s3.bucket,
    AWS_ENDPOINT: s3.endpoint,
    AWS_USE_PATH_STYLE_ENDPOINT: 'true',
    ...extra,
  });

  for (const kind of ['postgres', 'mariadb', 'sqlite'] as DbKind[]) {
    it(`${kind}: archive on both disks, identical, opens with 7-Zip, dump reloads to the same rows`, async () => {
      const app = tempAppDir();
      const source: TestDatabase = await createTestDatabase(kind, 'run');
      const restored: TestDatabase = await createTestDatabase(kind, 'reload');
      try {
        const env = envFor(source.connection, { BACKUP_NAME: `run-${kind}` });
        const seeded = await runCli(['demo:seed', '--tenants', '5', '--rows', '12'], env, app.dir);
        expect(seeded.stderr).toBe('');
        expect(seeded.code).toBe(0);

        const run = await runCli(['backup:run'], env, app.dir);
        expect(run.code).toBe(0);
        expect(run.stdout).toMatch(/✔ local: run-[a-z]+\/\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.zip/);
        expect(run.stdout).toMatch(/✔ s3: /);
        expect(run.stdout + run.stderr).not.toContain(PASSWORD);

        const localFiles = listFiles(path.join(app.dir, 'storage/backups'));
        expect(localFiles).toHaveLength(1);
        const key = localFiles[0];
        expect(await s3.listKeys(`run-${kind}/`)).toEqual([key]);
        const local = fs.readFileSync(path.join(app.dir, 'storage/backups', key));
        expect((await s3.download(key)).equals(local)).toBe(true);
        expect(fs.statSync(path.join(app.dir, 'storage/backups', key)).mode & 0o777).toBe(0o600);

        const out = path.join(app.dir, 'extracted');
        const extracted = await extractWith7z(path.join(app.dir, 'storage/backups', key), out, PASSWORD);
        expect(extracted.code).toBe(0);
        const dumpName = fs.readdirSync(path.join(out, 'db-dumps'));
        expect(dumpName).toHaveLength(1);
        expect(dumpName[0]).toMatch(new RegExp(`^${kind === 'mariadb' ? 'mariadb|mysql' : kind}-.*\\.sql$`));
        for (const t of ['1', '3', '5']) {
          for (const f of ['report.txt', 'logo.bin']) {
            const rel = `storage/app/tenants/${t}/${f}`;
            expect(fs.readFileSync(path.join(out, 'files', rel)).equals(fs.readFileSync(path.join(app.dir, rel)))).toBe(true);
          }
        }
        const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
        expect(manifest.databases[0].tables.users).toBe(60);
        expect(JSON.stringify(manifest)).not.toContain(PASSWORD);

        loadWithClient(kind, restored.connection, path.join(out, 'db-dumps', dumpName[0]));
        const before = await tableContents(source.connection);
        expect(Object.keys(before).sort()).toEqual(expect.arrayContaining(['clinics', 'queues', 'sub_queues', 'tenants', 'users']));
        expect(await tableContents(restored.connection)).toEqual(before);
      } finally {
        await source.drop();
        await restored.drop();
        app.cleanup();
      }
    });
  }

  describe('failures leave no partial backup and say what is wrong', () => {
    let app: ReturnType<typeof tempAppDir>;
    let db: TestDatabase;
    beforeAll(async () => {
      app = tempAppDir();
      db = await createTestDatabase('sqlite', 'fail');
      const seeded = await runCli(['demo:seed', '--tenants', '2', '--rows', '3'], envFor(db.connection), app.dir);
      expect(seeded.code).toBe(0);
    });
    afterAll(async () => {
      await db.drop();
      app.cleanup();
    });

    const nothingKept = async (name: string) => {
      expect(listFiles(path.join(app.dir, 'storage/backups', name))).toEqual([]);
      expect(await s3.listKeys(`${name}/`)).toEqual([]);
    };

    it('a stopped database server: the dump tool’s message, exit 1, nothing on either disk', async () => {
      const env = envFor(db.connection, { BACKUP_NAME: 'fail-db', DB_URL: 'postgres://postgres:db-secret-pw@127.0.0.1:1/nowhere' });
      const run = await runCli(['backup:run'], env, app.dir);
      expect(run.code).toBe(1);
      expect(run.stderr + run.stdout).toMatch(/pg_dump/);
      expect(run.stderr + run.stdout).toMatch(/Backup FAILED/);
      expect(run.stderr + run.stdout).not.toContain('db-secret-pw');
      await nothingKept('fail-db');
    });

    it('a wrong S3 key: a clear error without the secret, exit 1, no object in the bucket', async () => {
      const env = envFor(db.connection, {
        BACKUP_NAME: 'fail-key',
        BACKUP_DISKS: 's3',
        AWS_ACCESS_KEY_ID: 'WRONGKEYID',
        AWS_SECRET_ACCESS_KEY: 'very-secret-access-key-value',
      });
      const run = await runCli(['backup:run'], env, app.dir);
      expect(run.code).toBe(1);
      expect(run.stderr + run.stdout).toMatch(/InvalidAccessKeyId|access key/i);
      expect(run.stderr + run.stdout).not.toContain('very-secret-access-key-value');
      await nothingKept('fail-key');
    });

    it('an unreachable endpoint fails fast; the local disk still gets its complete backup', async () => {
      const env = envFor(db.connection, { BACKUP_NAME: 'fail-endpoint', AWS_ENDPOINT: 'http://127.0.0.1:1' });
      const run = await runCli(['backup:run'], env, app.dir, 60_000);
      expect(run.code).toBe(1);
      expect(run.stderr + run.stdout).toMatch(/cannot reach S3 endpoint http:\/\/127\.0\.0\.1:1/);
      expect(run.stdout + run.stderr).toMatch(/✔ local: fail-endpoint\//);
      expect(listFiles(path.join(app.dir, 'storage/backups/fail-endpoint'))).toHaveLength(1);
    });

    it('a bad environment: every problem named in one error, exit 1, nothing written', async () => {
      const env = envFor(db.connection, {
        BACKUP_NAME: 'fail-env',
        BACKUP_ARCHIVE_PASSWORD: 'too-short',
        BACKUP_COMPRESSION_LEVEL: '42',
        BACKUP_ENCRYPTION: 'aes256',
      });
      const run = await runCli(['backup:run'], env, app.dir);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/BACKUP_ARCHIVE_PASSWORD is too short/);
      expect(run.stderr).toMatch(/BACKUP_COMPRESSION_LEVEL=42 is out of range: use a value from 0 to 9/);
      expect(run.stderr).not.toContain('too-short');
      await nothingKept('fail-env');
    });

    it('no password and no explicit BACKUP_ENCRYPTION=none: refuses to start', async () => {
      const env: Record<string, string> = envFor(db.connection, { BACKUP_NAME: 'fail-nopw' });
      delete env.BACKUP_ARCHIVE_PASSWORD;
      const run = await runCli(['backup:run'], env, app.dir);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/BACKUP_ARCHIVE_PASSWORD is not set/);
      await nothingKept('fail-nopw');
    });
  });
});
