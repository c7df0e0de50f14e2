/**
 * `backup:run --each-tenant` (TenantExportService.exportAll) on PostgreSQL and SQLite with the
 * demo data of 6 tenants: one export per tenant in `<app>/tenants/<id>/`; run again under
 * BACKUP_MAX_COUNT=1 it leaves exactly the newest export per tenant folder, and never touches
 * the full backups in `<app>/`, a safety export, an unrelated file or the folder of a tenant that
 * is not in the tenant table. A tenant whose export fails is reported and the others go on.
 *
 * Through the services in a Nest testing module (like tenant.e2e.ts), not the spawned CLI.
 */
import { Test, TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackupModule } from '../../libs/backup/src/module/backup.module';
import { TenantExportService } from '../../libs/backup/src/tenant/tenant-export.service';
import { createTestDatabase, DbKind, TestDatabase } from '../support/databases';
import { listFiles } from '../support/cli';
import { optionsFor } from '../restore/restore.fixtures';
import { TENANT_FILES, TenantHarness, tenantHarness, typeOrmOptions } from './tenant.fixtures';

const APP = 'tenant-app';
const at = (day: number, hour: number) => new Date(Date.UTC(2026, 0, day, hour, 0, 0));
const stamp = (d: Date) => d.toISOString().slice(0, 19).replace(/[T:]/g, '-') + '.zip';
const TENANTS = ['1', '2', '3', '4', '5', '6'];

/** A second host process on the same database and disk, with BACKUP_MAX_COUNT=1. */
async function keepOneModule(db: TestDatabase, appRoot: string): Promise<TestingModule> {
  const base = optionsFor({ appRoot, connection: db.connection, include: ['storage/app'], appName: APP });
  const options = { ...base, tenant: { files: [TENANT_FILES] }, retention: { ...base.retention, maxCount: 1 } };
  const moduleRef = await Test.createTestingModule({
    imports: [TypeOrmModule.forRoot({ ...typeOrmOptions(db), synchronize: false }), BackupModule.forRoot(options)],
  }).compile();
  moduleRef.useLogger(false);
  await moduleRef.init();
  return moduleRef;
}

describe.each(['postgres', 'sqlite'] as DbKind[])('backup:run --each-tenant with %s', (kind) => {
  let db: TestDatabase;
  let h: TenantHarness;
  let keepOne: TestingModule | undefined;
  let disk: string;
  const files = () => listFiles(join(disk, APP));

  beforeAll(async () => {
    db = await createTestDatabase(kind, 'eachtenant');
    h = await tenantHarness(db, { tenants: 6, rowsPerTenant: 4 });
    disk = join(h.appRoot, 'storage', 'backups');
  });
  afterAll(async () => {
    await keepOne?.close();
    await h?.close();
    await db?.drop();
    if (h) rmSync(h.appRoot, { recursive: true, force: true });
  });

  it('exports every tenant once per run, then keeps only the newest per tenant under BACKUP_MAX_COUNT=1', async () => {
    expect((await h.backups.run({ onlyDb: true, now: at(1, 1) })).ok).toBe(true);
    expect((await h.backups.run({ onlyDb: true, now: at(1, 2) })).ok).toBe(true);

    const lines: string[] = [];
    const first = await h.exports.exportAll({ now: at(2, 1), onTenant: (r) => lines.push(`${r.tenantId}:${r.ok}`) });
    expect(first.ok).toBe(true);
    expect(first.tenants.map((t) => t.tenantId)).toEqual(TENANTS);
    expect(lines).toEqual(TENANTS.map((t) => `${t}:true`));
    for (const t of first.tenants) {
      expect(t.key).toBe(`${APP}/tenants/${t.tenantId}/${stamp(at(2, 1))}`);
      expect(t.deleted).toEqual([]);
    }
    // Each export holds its own tenant's rows (tenant 3 has its tenants row and its users).
    const three = await h.exports.export({ tenantId: '3', now: at(2, 5), prefix: 'pre-restore-' });
    expect(three.tables.tenants).toBe(1);
    expect(three.tables.users).toBeGreaterThan(0);

    expect((await h.exports.exportAll({ now: at(3, 1) })).ok).toBe(true);
    // Things retention must leave alone: an unrelated file, and the folder of a tenant that is gone.
    writeFileSync(join(disk, APP, 'tenants', '3', 'notes.txt'), 'kept by the operator');
    mkdirSync(join(disk, APP, 'tenants', '99'), { recursive: true });
    for (const d of [at(1, 3), at(1, 4)]) writeFileSync(join(disk, APP, 'tenants', '99', stamp(d)), 'old export of a deleted tenant');

    const before = files();
    expect(before.filter((f) => /^tenants\/1\//.test(f))).toEqual([`tenants/1/${stamp(at(2, 1))}`, `tenants/1/${stamp(at(3, 1))}`]);

    keepOne = await keepOneModule(db, h.appRoot);
    const second = await keepOne.get(TenantExportService).exportAll({ now: at(4, 1) });
    expect(second.ok).toBe(true);
    for (const t of second.tenants) {
      expect(t.deleted.sort()).toEqual([`${APP}/tenants/${t.tenantId}/${stamp(at(2, 1))}`, `${APP}/tenants/${t.tenantId}/${stamp(at(3, 1))}`]);
    }

    const after = files();
    for (const t of TENANTS) {
      const dated = after.filter((f) => f.startsWith(`tenants/${t}/`) && /^\d{4}-.*\.zip$/.test(f.split('/')[2]));
      expect(dated).toEqual([`tenants/${t}/${stamp(at(4, 1))}`]);
    }
    // Full backups, the safety export, the operator's file and the gone tenant's folder: untouched.
    expect(after.filter((f) => !f.startsWith('tenants/'))).toEqual([stamp(at(1, 1)), stamp(at(1, 2))]);
    expect(after).toContain(`tenants/3/pre-restore-${stamp(at(2, 5))}`);
    expect(after).toContain('tenants/3/notes.txt');
    expect(after.filter((f) => f.startsWith('tenants/99/'))).toEqual([`tenants/99/${stamp(at(1, 3))}`, `tenants/99/${stamp(at(1, 4))}`]);
  });

  it('reports a tenant whose export fails and still exports (and cleans) the others', async () => {
    // Tenant 5's folder becomes a plain file: its upload cannot be opened, the others' can.
    const folder5 = join(disk, APP, 'tenants', '5');
    rmSync(folder5, { recursive: true, force: true });
    writeFileSync(folder5, 'not a folder');
    const report = await keepOne!.get(TenantExportService).exportAll({ now: at(5, 1) });

    expect(report.ok).toBe(false);
    const failed = report.tenants.filter((t) => !t.ok);
    expect(failed.map((t) => t.tenantId)).toEqual(['5']);
    expect(failed[0].error).toMatch(/tenant 5|tenants\/5/);
    expect(report.tenants.filter((t) => t.ok).map((t) => t.tenantId)).toEqual(['1', '2', '3', '4', '6']);
    const after = files();
    for (const t of ['1', '2', '3', '4', '6']) {
      expect(after.filter((f) => f.startsWith(`tenants/${t}/`) && /^\d{4}-.*\.zip$/.test(f.split('/')[2]))).toEqual([`tenants/${t}/${stamp(at(5, 1))}`]);
    }
    expect(after.filter((f) => f.startsWith('tenants/5/'))).toEqual([]);
  });
});
