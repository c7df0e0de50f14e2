/**
 * The audit trail end to end: a backup run, a failed run (wrong S3 key against s3rver), a
 * verify with test restore and a restore each leave exactly one record with the right fields:
 * in the host's `backup_audit_log` table (SQLite through BackupAuditLogMigration and a DataSource
 * the CLI never connects; PostgreSQL through backupAuditLogEntity() and synchronize; MariaDB
 * through the migration) and in the JSON Lines file when the host has no table. No record holds
 * a password or key.
 */
import { TypeOrmModule } from '@nestjs/typeorm';
import { Test, TestingModule } from '@nestjs/testing';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import { BackupAuditLogMigration } from '../../libs/backup/src/audit/audit-log.migration';
import { backupAuditLogEntity } from '../../libs/backup/src/audit/audit-log.schema';
import { BackupService } from '../../libs/backup/src/backup/backup.service';
import { backupOptionsFromEnv } from '../../libs/backup/src/config/env.config';
import { BackupModule } from '../../libs/backup/src/module/backup.module';
import { RestoreService } from '../../libs/backup/src/restore/restore.service';
import { VerifyService } from '../../libs/backup/src/verify/verify.service';
import { createTestDatabase, rowCounts, runSql, seedDemo, TestDatabase, uniqueName, ADMIN } from '../support/databases';
import { startS3Server, TestS3Server } from '../support/s3.server';

const ARCHIVE_PASSWORD = 'audit-e2e-archive-password-0123456789-xyz';
const S3_SECRET = 'audit-e2e-s3-secret-access-key-0123456789';
const S3_WRONG_KEY_ID = 'AKIAAUDITWRONGKEY';
const WEBHOOK_SECRET = 'audit-e2e-webhook-secret-0123456789';
const DB_PASSWORD = 'audit-e2e-db-password-0123456789';
const SECRETS = [ARCHIVE_PASSWORD, S3_SECRET, S3_WRONG_KEY_ID, WEBHOOK_SECRET, DB_PASSWORD];

let s3: TestS3Server;
beforeAll(async () => void (s3 = await startS3Server()));
afterAll(async () => s3?.stop());

interface Host {
  dir: string;
  db: TestDatabase;
  app: TestingModule;
  seededRows: number;
  close(): Promise<void>;
}

function typeOrmOptions(db: TestDatabase, extra: Partial<DataSourceOptions> = {}): DataSourceOptions {
  const c = db.connection;
  if (db.kind === 'sqlite') return { type: 'better-sqlite3', database: c.database, ...extra } as DataSourceOptions;
  if (db.kind === 'mariadb')
    return {
      type: 'mariadb',
      host: c.host,
      port: c.port,
      username: c.username,
      password: c.password,
      database: c.database,
      ...extra,
    } as DataSourceOptions;
  return {
    type: 'postgres',
    host: c.host,
    port: c.port,
    username: c.username,
    password: DB_PASSWORD,
    database: c.database,
    ...extra,
  } as DataSourceOptions;
}

async function host(kind: 'sqlite' | 'postgres' | 'mariadb', table: 'migration' | 'entity' | 'none'): Promise<Host> {
  const dir = mkdtempSync(join(os.tmpdir(), 'nbt-audit-'));
  const db = await createTestDatabase(kind, 'audit');
  try {
    return await startHost(kind, table, dir, db);
  } catch (err) {
    // Nothing returned to close: remove the database and folder here.
    await db.drop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

async function startHost(
  kind: 'sqlite' | 'postgres' | 'mariadb',
  table: 'migration' | 'entity' | 'none',
  dir: string,
  db: TestDatabase,
): Promise<Host> {
  await seedDemo(db.connection, { tenants: 2, rowsPerTenant: 3 });
  if (table === 'migration') {
    // What a host does with migrations: its own DataSource, `migrations: [BackupAuditLogMigration]`, run them.
    const ds = new DataSource(typeOrmOptions(db, { migrations: [BackupAuditLogMigration] } as never));
    await ds.initialize();
    await ds.runMigrations();
    await ds.destroy();
  }
  const env = {
    APP_NAME: `audit-${kind}`,
    BACKUP_ARCHIVE_PASSWORD: ARCHIVE_PASSWORD,
    BACKUP_DISKS: 'local,s3',
    AWS_BUCKET: s3.bucket,
    AWS_ENDPOINT: s3.endpoint,
    AWS_USE_PATH_STYLE_ENDPOINT: 'true',
    AWS_ACCESS_KEY_ID: S3_WRONG_KEY_ID,
    AWS_SECRET_ACCESS_KEY: S3_SECRET,
    BACKUP_WEBHOOK_URL: 'http://127.0.0.1:9/hook',
    BACKUP_WEBHOOK_SECRET: WEBHOOK_SECRET,
    BACKUP_FAILURE_NOTIFICATIONS: '',
    BACKUP_HEALTH_NOTIFICATIONS: '',
    BACKUP_SUCCESS_NOTIFICATIONS: '',
  };
  const hostOptions =
    table === 'entity'
      ? typeOrmOptions(db, { entities: [backupAuditLogEntity()], synchronize: true })
      : typeOrmOptions(db, { manualInitialization: true } as never); // like the demo CLI: never connected by the host
  const app = await Test.createTestingModule({
    imports: [TypeOrmModule.forRoot(hostOptions), BackupModule.forRoot(backupOptionsFromEnv(env, { cwd: dir }))],
  }).compile();
  app.useLogger(false);
  await app.init();
  const seededRows = Object.values(await rowCounts(db.connection)).reduce((a, b) => a + b, 0);
  return {
    dir,
    db,
    app,
    seededRows,
    close: async () => {
      try {
        await app.close();
      } finally {
        await db.drop();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** The four operations; returns what each reported and the restore target to drop. */
async function fourOperations(h: Host) {
  const run = await h.app.get(BackupService).run({ onlyToDisk: 'local' });
  expect(run.ok).toBe(true);
  const failed = await h.app.get(BackupService).run({ onlyToDisk: 's3' });
  expect(failed.ok).toBe(false);
  const verify = await h.app.get(VerifyService).verify({ latest: true, disk: 'local', testRestore: true });
  expect(verify.ok).toBe(true);
  const target = h.db.kind === 'sqlite' ? join(h.dir, 'restored.db') : uniqueName('audit_restored');
  const restore = await h.app.get(RestoreService).restore({ latest: true, disk: 'local', onlyDb: true, toDatabase: target });
  expect(restore.ok).toBe(true);
  const dropTarget = async () => {
    if (h.db.kind === 'postgres') await runSql(ADMIN.postgres, `DROP DATABASE IF EXISTS "${target}" WITH (FORCE)`);
    if (h.db.kind === 'mariadb') await runSql(ADMIN.mariadb, `DROP DATABASE IF EXISTS \`${target}\``);
  };
  return { run, failed, verify, restore, dropTarget };
}

type Row = Record<string, unknown>;

function expectFourRecords(rows: Row[], ops: Awaited<ReturnType<typeof fourOperations>>, h: Host) {
  expect(rows.map((r) => [r.operation, r.outcome])).toEqual([
    ['run', 'success'],
    ['run', 'failure'],
    ['verify', 'success'],
    ['restore', 'success'],
  ]);
  for (const r of rows) {
    expect(r).toMatchObject({ appName: `audit-${h.db.kind}`, user: os.userInfo().username, host: os.hostname() });
    expect(Date.parse(String(r.finishedAt))).toBeGreaterThanOrEqual(Date.parse(String(r.startedAt)));
    expect(Number(r.durationMs)).toBe(Date.parse(String(r.finishedAt)) - Date.parse(String(r.startedAt)));
  }
  const [run, failed, verify, restore] = rows;
  const archive = statSync(join(h.dir, 'storage', 'backups', ops.run.key)).size;
  expect(run).toMatchObject({ destination: 'local', backupName: ops.run.key, error: null });
  expect(Number(run.sizeBytes)).toBe(archive);
  expect(Number(run.rowCount)).toBe(h.seededRows);
  expect(failed).toMatchObject({ destination: 's3', backupName: ops.failed.key });
  expect(String(failed.error)).toMatch(/s3: .*(InvalidAccessKeyId|access key)/i);
  expect(verify).toMatchObject({ destination: 'local', backupName: ops.run.key, error: null });
  expect(Number(verify.rowCount)).toBe(h.seededRows);
  expect((verify.details as Row).backups).toEqual([
    expect.objectContaining({ backupName: ops.run.key, testRestore: true, testRestoreOk: true, scratchDropped: true }),
  ]);
  expect(restore).toMatchObject({ destination: 'local', backupName: ops.run.key, error: null });
  expect(Number(restore.rowCount)).toBe(h.seededRows);
  expect(Number(restore.sizeBytes)).toBe(ops.restore.verified.bytes);
  const text = JSON.stringify(rows);
  for (const secret of SECRETS) expect(text).not.toContain(secret);
}

/** The table as an auditor reads it with plain SQL, mapped to the record's field names. */
async function tableRows(h: Host): Promise<Row[]> {
  const rows = await runSql(h.db.connection, 'SELECT * FROM backup_audit_log ORDER BY started_at');
  return rows.map((r) => ({
    id: r.id,
    operation: r.operation,
    appName: r.app_name,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationMs: r.duration_ms,
    outcome: r.outcome,
    destination: r.destination,
    backupName: r.backup_name,
    sizeBytes: r.size_bytes,
    rowCount: r.row_count,
    user: r.user_name,
    host: r.host_name,
    error: r.error,
    details: JSON.parse(String(r.details)),
  }));
}

describe('audit trail in the host database', () => {
  it.each([
    ['sqlite', 'migration'],
    ['postgres', 'entity'],
    ['mariadb', 'migration'],
  ] as const)('%s (table from the %s): one record per operation, right fields, no secret', async (kind, table) => {
    const h = await host(kind, table);
    let drop: () => Promise<void> = async () => undefined;
    try {
      const ops = await fourOperations(h);
      drop = ops.dropTarget;
      expectFourRecords(await tableRows(h), ops, h);
      // Nothing went to the fallback file while the database was there.
      expect(existsSync(join(h.dir, 'storage', 'audit'))).toBe(false);
    } finally {
      await drop();
      await h.close();
    }
  });
});

describe('audit trail in the JSON Lines file', () => {
  it('is used when the host database has no audit table: same records, mode 0600, no secret', async () => {
    const h = await host('sqlite', 'none');
    try {
      const ops = await fourOperations(h);
      const file = join(h.dir, 'storage', 'audit', 'audit-sqlite.jsonl');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const text = readFileSync(file, 'utf8');
      expectFourRecords(
        text
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l)),
        ops,
        h,
      );
      for (const secret of SECRETS) expect(text).not.toContain(secret);
      const tables = await runSql(h.db.connection, "SELECT name FROM sqlite_master WHERE name = 'backup_audit_log'");
      expect(tables).toEqual([]); // the library never creates the table on its own
    } finally {
      await h.close();
    }
  });
});
