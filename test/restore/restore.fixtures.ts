/**
 * Shared set-up for the restore and verify end-to-end tests: a Nest testing module built with
 * BackupModule.forRoot and explicit connections, an app folder with uploaded files, and the
 * schema/rows snapshot a restored database is compared with.
 */
import { Test, TestingModule } from '@nestjs/testing';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { BackupService } from '../../libs/backup/src/backup/backup.service';
import { BackupModuleOptions, S3DiskOptions } from '../../libs/backup/src/config/backup-options.interface';
import { BackupModule } from '../../libs/backup/src/module/backup.module';
import { RestoreService } from '../../libs/backup/src/restore/restore.service';
import { ConnectionInfo } from '../../libs/backup/src/sources/connection-info';
import { VerifyService } from '../../libs/backup/src/verify/verify.service';
import { kindOf, runSql, tableContents } from '../support/databases';
import { TestS3Server } from '../support/s3.server';

export const PASSWORD = 'restore-tests-password-0123456789-abcdef';

export interface Harness {
  moduleRef: TestingModule;
  backups: BackupService;
  restores: RestoreService;
  verifier: VerifyService;
  events: Array<{ name: string; payload: any }>;
  options: BackupModuleOptions;
  close(): Promise<void>;
}

export function optionsFor(params: {
  appRoot: string;
  connection: ConnectionInfo;
  s3?: TestS3Server;
  password?: string;
  include?: string[];
  appName?: string;
}): BackupModuleOptions {
  const s3: S3DiskOptions | undefined = params.s3 && {
    bucket: params.s3.bucket,
    region: params.s3.region,
    endpoint: params.s3.endpoint,
    forcePathStyle: true,
    accessKeyId: params.s3.accessKeyId,
    secretAccessKey: params.s3.secretAccessKey,
    checksumMode: 'WHEN_REQUIRED',
  };
  return {
    appName: params.appName ?? 'restore-app',
    appRoot: params.appRoot,
    disks: s3 ? ['local', 's3'] : ['local'],
    local: { root: join(params.appRoot, 'storage', 'backups') },
    s3,
    archive: { encryption: 'aes256', password: params.password ?? PASSWORD, compressionLevel: 6, filenamePrefix: '' },
    databases: [params.connection.name],
    connections: [params.connection],
    files: { include: params.include ?? ['uploads'], exclude: [], followSymlinks: false },
    retention: {
      keepAllDays: 7,
      keepDailyDays: 30,
      keepWeeklyWeeks: 12,
      keepMonthlyMonths: 12,
      keepYearlyYears: 7,
      deleteOldestWhenUsingMoreMb: null,
      maxCount: null,
    },
    monitor: { disks: ['local'], maxAgeDays: 1, maxStorageMb: 10240 },
    notificationEnv: {},
    cliCommand: 'npm run cli --',
  };
}

export async function harness(options: BackupModuleOptions): Promise<Harness> {
  const moduleRef = await Test.createTestingModule({ imports: [BackupModule.forRoot(options)] }).compile();
  moduleRef.useLogger(false);
  await moduleRef.init();
  const events: Harness['events'] = [];
  const emitter = moduleRef.get(EventEmitter2);
  for (const name of ['backup.verify.succeeded', 'backup.verify.failed']) {
    emitter.on(name, (payload: unknown) => events.push({ name, payload }));
  }
  return {
    moduleRef,
    backups: moduleRef.get(BackupService),
    restores: moduleRef.get(RestoreService),
    verifier: moduleRef.get(VerifyService),
    events,
    options,
    close: () => moduleRef.close(),
  };
}

/** An app folder with a few uploaded files (text, binary, nested, empty). */
export function appFolder(): string {
  const root = mkdtempSync(join(tmpdir(), 'nbt-restore-app-'));
  mkdirSync(join(root, 'uploads', 'clinic-1', 'x-rays'), { recursive: true });
  writeFileSync(join(root, 'uploads', 'readme.txt'), 'Patient files\nZürich – 東京\n');
  writeFileSync(join(root, 'uploads', 'clinic-1', 'x-rays', 'scan.bin'), randomBytes(200_000));
  writeFileSync(join(root, 'uploads', 'clinic-1', 'empty.txt'), '');
  return root;
}

/** Every file below `dir` with its bytes, keyed by relative path. */
export function filesBelow(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (statSync(p).isFile()) out[relative(dir, p)] = readFileSync(p);
    }
  };
  try {
    walk(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return out;
}

/** Column names per table, in order: the schema part of a table-by-table comparison. */
export async function columnsOf(c: ConnectionInfo): Promise<Record<string, string[]>> {
  const kind = kindOf(c);
  const out: Record<string, string[]> = {};
  if (kind === 'sqlite') {
    const tables = await runSql(c, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`);
    for (const { name } of tables) {
      out[String(name)] = (await runSql(c, `PRAGMA table_info("${name}")`)).map((r) => String(r.name));
    }
    return out;
  }
  const rows = await runSql(
    c,
    kind === 'postgres'
      ? `SELECT table_name AS t, column_name AS col FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`
      : `SELECT TABLE_NAME AS t, COLUMN_NAME AS col FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION`,
  );
  for (const r of rows) (out[String(r.t)] ??= []).push(String(r.col));
  return out;
}

/** Schema (column names) and rows of every table. */
export async function snapshot(c: ConnectionInfo): Promise<{ columns: Record<string, string[]>; rows: Record<string, unknown[][]> }> {
  return { columns: await columnsOf(c), rows: await tableContents(c) };
}
