/**
 * `backup:run --each-tenant` (TenantExportService.exportAll) on PostgreSQL and SQLite with the
 * demo data of 6 tenants: one export per tenant in `<app>/tenants/<id>/`; run again under
 * BACKUP_MAX_COUNT=1 it leaves exactly the newest export per tenant folder, and never touches
 * the full backups in `<app>/`, a safety export, an unrelated file or the folder of a tenant that
 * is not in the tenant table. A tenant whose export fails is reported and the others go on.
 *
 * Through the services in a Nest testing module (like tenant.e2e.ts), and once as an operator
 * runs it: the compiled demo CLI on SQLite (`npm run build` first).
 */
import { Test, TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackupModule } from '../../libs/backup/src/module/backup.module';
import { TenantExportService } from '../../libs/backup/src/tenant/export/tenant-export.service';
import { createTestDatabase, DbKind, TestDatabase } from '../support/databases';
import { listFiles, runCli, tempAppDir } from '../support/cli';
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
      expect(t.deleted.sort()).toEqual([
        `${APP}/tenants/${t.tenantId}/${stamp(at(2, 1))}`,
        `${APP}/tenants/${t.tenantId}/${stamp(at(3, 1))}`,
      ]);
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
      expect(after.filter((f) => f.startsWith(`tenants/${t}/`) && /^\d{4}-.*\.zip$/.test(f.split('/')[2]))).toEqual([
        `tenants/${t}/${stamp(at(5, 1))}`,
      ]);
    }
    expect(after.filter((f) => f.startsWith('tenants/5/'))).toEqual([]);
  });
});

describe('backup:run --each-tenant on the command line (SQLite)', () => {
  const ENV = {
    APP_NAME: 'cli-tenants',
    BACKUP_ARCHIVE_PASSWORD: 'cli-tenants-password-0123456789-abcdefgh',
    BACKUP_INCLUDE: 'storage/app',
    BACKUP_FAILURE_NOTIFICATIONS: '',
    BACKUP_HEALTH_NOTIFICATIONS: '',
    BACKUP_SUCCESS_NOTIFICATIONS: '',
  };
  const app = tempAppDir('nbt-each-tenant-cli-');
  afterAll(() => app.cleanup());

  it('prints one line per tenant, and under BACKUP_MAX_COUNT=1 keeps the newest export per tenant and the full backups', async () => {
    const env = { ...ENV, DB_URL: `sqlite:${join(app.dir, 'demo.sqlite')}` };
    expect((await runCli(['demo:seed', '--tenants', '5', '--rows', '3'], env, app.dir)).code).toBe(0);
    expect((await runCli(['backup:run', '--only-db'], env, app.dir)).code).toBe(0);
    const exported = () => listFiles(app.dir).filter((f) => /\/cli-tenants\/tenants\/\d+\/[\d-]+\.zip$/.test(f));

    const first = await runCli(['backup:run', '--each-tenant'], env, app.dir);
    expect(first.code).toBe(0);
    expect(first.stdout.split('\n').filter((l) => l.startsWith('✔ tenant '))).toHaveLength(5);
    expect(first.stdout).toContain('5 of 5 tenant(s) exported');
    const firstKeys = exported();
    expect(firstKeys).toHaveLength(5);

    await new Promise((r) => setTimeout(r, 1100)); // a new second: a new file name
    const second = await runCli(['backup:run', '--each-tenant'], { ...env, BACKUP_MAX_COUNT: '1' }, app.dir);
    expect(second.code).toBe(0);
    expect(second.stdout.split('\n').filter((l) => /^✔ tenant \d+: .*1 older export\(s\) removed by retention\)$/.test(l))).toHaveLength(5);
    const secondKeys = exported();
    expect(secondKeys).toHaveLength(5);
    expect(secondKeys.filter((k) => firstKeys.includes(k))).toEqual([]);
    expect(listFiles(app.dir).filter((f) => /\/cli-tenants\/[\d-]+\.zip$/.test(f))).toHaveLength(1);

    const clash = await runCli(['backup:run', '--each-tenant', '--only-db'], env, app.dir);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain('--each-tenant cannot be combined with --only-db');
  });
});
