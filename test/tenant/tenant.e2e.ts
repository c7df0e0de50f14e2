/**
 * One tenant out, one tenant back, per driver (PostgreSQL, MariaDB, SQLite): export tenant 3,
 * lose its rows and files, restore them from the export and from the last full backup; tenant 3
 * comes back row for row and every other tenant's rows are exactly what they were (whole table
 * contents compared). Bad input (unknown tenant, ids of the wrong type or crafted as SQL, an
 * export of another tenant, a changed schema) is refused with nothing changed.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ZipReader } from '../../libs/backup/src/archive';
import {
  InvalidTenantIdError,
  TenantExportMismatchError,
  TenantRestoreNotConfirmedError,
  TenantSchemaChangedError,
  UnknownTenantError,
} from '../../libs/backup/src/tenant/tenant.errors';
import { createTestDatabase, DB_KINDS, runSql, tableContents, TestDatabase } from '../support/databases';
import { filesBelow, PASSWORD } from '../restore/restore.fixtures';
import { TenantHarness, tenantHarness } from './tenant.fixtures';

const T3_DIR = ['storage', 'app', 'tenants', '3'];

async function deleteTenant3(h: TenantHarness, db: TestDatabase): Promise<void> {
  const c = db.connection;
  await runSql(c, 'DELETE FROM sub_queues WHERE queue_id IN (SELECT id FROM queues WHERE tenant_id = 3)');
  for (const t of ['queues', 'clinics', 'users']) await runSql(c, `DELETE FROM ${t} WHERE tenant_id = 3`);
  await runSql(c, 'DELETE FROM tenants WHERE id = 3');
  rmSync(join(h.appRoot, ...T3_DIR), { recursive: true, force: true });
}

describe.each(DB_KINDS)('tenant export and restore with %s', (kind) => {
  let db: TestDatabase;
  let h: TenantHarness;
  let before: Record<string, unknown[][]>;
  let filesBefore: Record<string, Buffer>;
  let exportKey: string;

  beforeAll(async () => {
    db = await createTestDatabase(kind, 'tenant');
    h = await tenantHarness(db);
    before = await tableContents(db.connection);
    filesBefore = filesBelow(join(h.appRoot, 'storage', 'app'));
  });
  afterAll(async () => {
    await h?.close();
    await db?.drop();
    if (h) rmSync(h.appRoot, { recursive: true, force: true });
  });

  it('finds the scoped tables from the metadata (sub_queues through queues)', async () => {
    const scope = await h.scopes.scope();
    expect(scope.key).toMatchObject({ table: 'tenants', column: 'id', type: 'integer' });
    expect(scope.tables.map((t) => t.table)).toEqual(['tenants', 'clinics', 'queues', 'sub_queues', 'users']);
    expect(scope.tables.find((t) => t.table === 'sub_queues')!.placement).toEqual({
      kind: 'parent',
      columns: ['queue_id'],
      parent: 'queues',
      parentColumns: ['id'],
    });
    expect(scope.unplaced).toEqual([]);
  });

  it('exports tenant 3, loses it, and restores it from the export and from the last full backup', async () => {
    const full = await h.backups.run({ now: new Date(Date.UTC(2026, 0, 2, 3, 0, 0)) });
    expect(full.ok).toBe(true);

    const exported = await h.exports.export({ tenantId: '3', now: new Date(Date.UTC(2026, 0, 2, 4, 0, 0)) });
    expect(exported.key).toBe('tenant-app/tenants/3/2026-01-02-04-00-00.zip');
    const t3 = (table: string, pred: (r: unknown[]) => boolean) => before[table].filter(pred).length;
    const expectedCounts = {
      tenants: 1,
      users: t3('users', (r) => r[1] === 3),
      clinics: t3('clinics', (r) => r[1] === 3),
      queues: t3('queues', (r) => r[1] === 3),
      sub_queues: 0,
    };
    const t3Queues = new Set(before.queues.filter((r) => r[1] === 3).map((r) => r[0]));
    expectedCounts.sub_queues = before.sub_queues.filter((r) => t3Queues.has(r[1])).length;
    expect(exported.tables).toEqual(expectedCounts);
    expect(exported.files).toBe(2);

    // The archive: encrypted entries, JSON Lines per table, the tenant's files only, the manifest's facts.
    const zip = await ZipReader.open(join(h.appRoot, 'storage', 'backups', exported.key), { password: PASSWORD });
    try {
      expect((await zip.verify()).ok).toBe(true);
      expect(
        zip
          .entries()
          .map((e) => e.name)
          .sort(),
      ).toEqual([
        'files/storage/app/tenants/3/report.txt',
        'files/storage/app/tenants/3/scans/scan-3.bin',
        'manifest.json',
        'tenant-data/clinics.jsonl',
        'tenant-data/queues.jsonl',
        'tenant-data/sub_queues.jsonl',
        'tenant-data/tenants.jsonl',
        'tenant-data/users.jsonl',
      ]);
      const manifest = await zip.readManifest();
      expect(manifest.tenant).toMatchObject({ tenantId: '3', tenantTable: 'tenants' });
      expect(JSON.stringify(manifest)).not.toContain(PASSWORD);
    } finally {
      await zip.close();
    }

    await deleteTenant3(h, db);
    const lost = await tableContents(db.connection);
    expect(lost.users.some((r) => r[1] === 3)).toBe(false);

    // Dry run: per table what would happen, nothing changed.
    const dry = await h.restores.restore({ tenantId: '3', fromExport: 'latest', dryRun: true });
    expect(dry.tables).toEqual(
      Object.entries(expectedCounts)
        .map(([table, insert]) => ({ table, delete: 0, insert }))
        .sort((a, b) => order(a.table) - order(b.table)),
    );
    expect(await tableContents(db.connection)).toEqual(lost);

    const fromExport = await h.restores.restore({ tenantId: '3', fromExport: '2026-01-02-04-00-00.zip' });
    expect(fromExport.safetyExport).toBeUndefined();
    expect(await tableContents(db.connection)).toEqual(before);
    expect(filesBelow(join(h.appRoot, 'storage', 'app'))).toEqual(filesBefore);

    await deleteTenant3(h, db);
    const fromBackup = await h.restores.restore({ tenantId: '3', fromBackup: 'latest' });
    expect(fromBackup.source).toMatchObject({ kind: 'backup', key: 'tenant-app/2026-01-02-03-00-00.zip' });
    expect(await tableContents(db.connection)).toEqual(before);
    expect(filesBelow(join(h.appRoot, 'storage', 'app'))).toEqual(filesBefore);
  });

  it('replaces changed rows of tenant 3 only with --force, after a safety export', async () => {
    await runSql(db.connection, `UPDATE clinics SET name = 'renamed by mistake' WHERE tenant_id = 3`);
    await runSql(db.connection, `UPDATE users SET name = 'tenant 4 changed' WHERE tenant_id = 4`);
    const changed = await tableContents(db.connection);
    await expect(h.restores.restore({ tenantId: '3', fromExport: 'latest' })).rejects.toBeInstanceOf(TenantRestoreNotConfirmedError);
    expect(await tableContents(db.connection)).toEqual(changed);

    const report = await h.restores.restore({ tenantId: '3', fromExport: 'latest', force: true });
    expect(report.safetyExport).toMatch(/^tenant-app\/tenants\/3\/pre-restore-.*\.zip$/);
    expect(existsSync(join(h.appRoot, 'storage', 'backups', report.safetyExport!))).toBe(true);
    const after = await tableContents(db.connection);
    // Tenant 3 is back; tenant 4's own change is still there, untouched.
    const expected = { ...changed, clinics: before.clinics, tenants: before.tenants };
    expect(after).toEqual(expected);
    await runSql(db.connection, `UPDATE users SET name = NULL WHERE tenant_id = 4`); // keep later tests independent of this one's edit
  });

  it('refuses bad input and changes nothing', async () => {
    const c = db.connection;
    const snapshot = await tableContents(c);
    const unchanged = async () => expect(await tableContents(c)).toEqual(snapshot);

    await expect(h.exports.export({ tenantId: '99' })).rejects.toBeInstanceOf(UnknownTenantError);
    await expect(h.exports.export({ tenantId: 'abc' })).rejects.toBeInstanceOf(InvalidTenantIdError);
    for (const crafted of ['3; DROP TABLE tenants; --', "3' OR '1'='1", '3 OR 1=1', '1e3', '99999999999']) {
      await expect(h.exports.export({ tenantId: crafted })).rejects.toBeInstanceOf(InvalidTenantIdError);
      await expect(h.restores.restore({ tenantId: crafted, fromExport: 'latest', force: true })).rejects.toBeInstanceOf(
        InvalidTenantIdError,
      );
    }
    await unchanged();

    // An export of tenant 3 given for tenant 4.
    await expect(
      h.restores.restore({ tenantId: '4', fromExport: 'tenant-app/tenants/3/2026-01-02-04-00-00.zip', force: true }),
    ).rejects.toBeInstanceOf(TenantExportMismatchError);
    // A tenant the backup does not hold.
    await expect(h.restores.restore({ tenantId: '77', fromBackup: 'latest', force: true })).rejects.toBeInstanceOf(UnknownTenantError);
    await unchanged();

    // The schema changed since the export: a column is gone.
    await runSql(c, 'ALTER TABLE users DROP COLUMN name');
    const dropped = await tableContents(c);
    const err = await h.restores.restore({ tenantId: '3', fromExport: '2026-01-02-04-00-00.zip', force: true }).catch((e) => e);
    expect(err).toBeInstanceOf(TenantSchemaChangedError);
    expect(err.message).toContain('users.name');
    expect(await tableContents(c)).toEqual(dropped);
  });
});

function order(table: string): number {
  return ['tenants', 'clinics', 'queues', 'sub_queues', 'users'].indexOf(table);
}
