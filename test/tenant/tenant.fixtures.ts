/**
 * Set-up for the tenant end-to-end tests: a Nest testing module with the demo entities on a
 * real database (TypeOrmModule.forRoot) and BackupModule.forRoot, demo rows of several tenants,
 * and per-tenant uploaded files under storage/app/tenants/<id>/ as the demo writes them.
 */
import { Test, TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import { Clinic, DEMO_ENTITIES, Queue, SubQueue, Tenant, User } from '../../apps/demo/src/entities';
import { demoRows } from '../../apps/demo/src/seed/demo-data';
import { BackupService } from '../../libs/backup/src/backup/backup.service';
import { BackupModule } from '../../libs/backup/src/module/backup.module';
import { TenantExportService } from '../../libs/backup/src/tenant/export/tenant-export.service';
import { TenantRestoreService } from '../../libs/backup/src/tenant/restore/tenant-restore.service';
import { TenantScopeService } from '../../libs/backup/src/tenant/scope/tenant-scope.service';
import { TestDatabase } from '../support/databases';
import { optionsFor } from '../restore/restore.fixtures';

export const TENANT_FILES = 'storage/app/tenants/{tenant}/**';

export interface TenantHarness {
  moduleRef: TestingModule;
  dataSource: DataSource;
  backups: BackupService;
  exports: TenantExportService;
  restores: TenantRestoreService;
  scopes: TenantScopeService;
  appRoot: string;
  close(): Promise<void>;
}

export function typeOrmOptions(db: TestDatabase): DataSourceOptions {
  const c = db.connection;
  const common = { entities: DEMO_ENTITIES, synchronize: true, logging: false } as const;
  if (db.kind === 'sqlite') return { ...common, type: 'better-sqlite3', database: c.database };
  if (db.kind === 'postgres')
    return { ...common, type: 'postgres', host: c.host, port: c.port, username: c.username, password: c.password, database: c.database };
  return {
    ...common,
    type: 'mariadb',
    host: c.host,
    port: c.port,
    username: c.username,
    password: c.password,
    database: c.database,
    charset: 'utf8mb4',
  };
}

export async function tenantHarness(
  db: TestDatabase,
  options: { tenants?: number; rowsPerTenant?: number; restoreJobs?: number } = {},
): Promise<TenantHarness> {
  const appRoot = mkdtempSync(join(tmpdir(), 'nbt-tenant-app-'));
  const base = optionsFor({ appRoot, connection: db.connection, include: ['storage/app'], appName: 'tenant-app' });
  const backupOptions = {
    ...base,
    tenant: { files: [TENANT_FILES] },
    ...(options.restoreJobs ? { restore: { lockWaitSeconds: base.restore?.lockWaitSeconds ?? 30, jobs: options.restoreJobs } } : {}),
  };
  const moduleRef = await Test.createTestingModule({
    imports: [TypeOrmModule.forRoot(typeOrmOptions(db)), BackupModule.forRoot(backupOptions)],
  }).compile();
  moduleRef.useLogger(false);
  await moduleRef.init();
  const dataSource = moduleRef.get(DataSource);
  await seed(dataSource, options.tenants ?? 6, options.rowsPerTenant ?? 8);
  writeTenantFiles(appRoot, options.tenants ?? 6);
  return {
    moduleRef,
    dataSource,
    backups: moduleRef.get(BackupService),
    exports: moduleRef.get(TenantExportService),
    restores: moduleRef.get(TenantRestoreService),
    scopes: moduleRef.get(TenantScopeService),
    appRoot,
    close: async () => {
      await moduleRef.close();
      rmSync(appRoot, { recursive: true, force: true });
    },
  };
}

/** The demo's rows, inserted through the entities (parents first). */
export async function seed(ds: DataSource, tenants: number, perTenant: number): Promise<void> {
  const rows = demoRows(tenants, perTenant);
  const inserts: [Function, object[]][] = [
    [Tenant, rows.tenants],
    [User, rows.users.map(({ tenant_id, ...u }) => ({ ...u, tenantId: tenant_id }))],
    [Clinic, rows.clinics.map(({ tenant_id, ...c }) => ({ ...c, tenantId: tenant_id }))],
    [Queue, rows.queues.map(({ tenant_id, clinic_id, ...q }) => ({ ...q, tenantId: tenant_id, clinicId: clinic_id }))],
    [SubQueue, rows.sub_queues.map(({ queue_id, ...s }) => ({ ...s, queueId: queue_id }))],
  ];
  for (const [entity, list] of inserts) {
    for (let i = 0; i < list.length; i += 200)
      await ds
        .createQueryBuilder()
        .insert()
        .into(entity)
        .values(list.slice(i, i + 200))
        .execute();
  }
}

function writeTenantFiles(root: string, tenants: number): void {
  for (let t = 1; t <= tenants; t++) {
    const dir = join(root, 'storage', 'app', 'tenants', String(t));
    mkdirSync(join(dir, 'scans'), { recursive: true });
    writeFileSync(join(dir, 'report.txt'), `Tenant ${t} report – Zürich\n`.repeat(50 + t));
    writeFileSync(join(dir, 'scans', `scan-${t}.bin`), Buffer.from(Array.from({ length: 3000 + t }, (_, i) => (i * 31 + t) & 0xff)));
  }
}
