/**
 * Tenant export benchmark (issue 7): one tenant holding 1% of the rows exported with
 * TenantExportService, beside a full `backup:run --only-db` (BackupService.run) of the same
 * PostgreSQL database, same process, same disk, same encryption. Indexes on the tenant columns
 * (the demo entities have them) are what make the export cost ~1% and not 100%.
 *
 *   npm run bench:tenant                      (BENCH_USERS=200000 by default: 600,100 rows)
 *   BENCH_USERS=2000000 npm run bench:tenant  (6,000,100 rows; the ratio as the database grows)
 *   BENCH_LAYOUT=contiguous npm run bench:tenant (each tenant's rows stored together)
 */
import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DEMO_ENTITIES } from '../apps/demo/src/entities';
// The built library (dist/bench runs against libs/backup/dist), typed from source.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { BackupModule, BackupService } = require('nest-backup') as typeof import('../libs/backup/src');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { TenantExportService } =
  require('../../libs/backup/dist/tenant/export/tenant-export.service') as typeof import('../libs/backup/src/tenant/export/tenant-export.service');

const USERS = Number(process.env.BENCH_USERS ?? 200_000);
const TENANTS = 100;
/** Exports timed after the first one. */
const WARM = 20;
/**
 * interleaved (default): rows dealt round-robin, so every heap page holds rows of every tenant
 * (as when tenants write at the same time). contiguous: each tenant's rows stored together (as
 * after CLUSTER on the tenant index, with partitioning by tenant, or for bulk-imported tenants).
 */
const LAYOUT = process.env.BENCH_LAYOUT ?? 'interleaved';
if (LAYOUT !== 'interleaved' && LAYOUT !== 'contiguous') throw new Error('BENCH_LAYOUT must be interleaved or contiguous');
/** The tenant of row i of a table of n rows. */
const tenantOf = (n: number): string => (LAYOUT === 'contiguous' ? `1 + ((i - 1) * ${TENANTS}) / ${n}` : `1 + i % ${TENANTS}`);
const SERVER = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
};

async function sql(database: string, text: string): Promise<void> {
  const c = new Client({ ...SERVER, database });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

function msSince(start: bigint, end = process.hrtime.bigint()): number {
  return Number(end - start) / 1e6;
}

async function main(): Promise<void> {
  const database = `nbt_bench_tenant_${randomBytes(4).toString('hex')}`;
  const appRoot = mkdtempSync(join(tmpdir(), 'nbt-bench-tenant-'));
  await sql('postgres', `CREATE DATABASE ${database}`);
  try {
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          host: SERVER.host,
          port: SERVER.port,
          username: SERVER.user,
          database,
          entities: DEMO_ENTITIES,
          synchronize: true,
          logging: false,
        }),
        BackupModule.forRoot({
          appName: 'bench',
          appRoot,
          disks: ['local'],
          local: { root: join(appRoot, 'backups') },
          archive: { encryption: 'aes256', password: 'bench-password-0123456789-abcdefghij', compressionLevel: 6, filenamePrefix: '' },
          databases: ['default'],
          connections: [{ name: 'default', driver: 'postgres', host: SERVER.host, port: SERVER.port, username: SERVER.user, database }],
          files: { include: [], exclude: [], followSymlinks: false },
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
          cliCommand: 'node cli',
        }),
      ],
    }).compile();
    moduleRef.useLogger(false);
    await moduleRef.init();
    // Every tenant holds 1% of every table: rows are dealt round-robin over 100 tenants.
    await sql(
      database,
      `
      INSERT INTO tenants (id, name) SELECT t, 'Tenant ' || t FROM generate_series(1, ${TENANTS}) t;
      INSERT INTO users (id, tenant_id, email, name) SELECT i, ${tenantOf(USERS)}, 'user' || i || '@example.com', md5(i::text) FROM generate_series(1, ${USERS}) i;
      INSERT INTO clinics (id, tenant_id, name, address) SELECT i, ${tenantOf(USERS / 2)}, 'Clinic ' || i, md5(i::text) || ' Main St' FROM generate_series(1, ${USERS / 2}) i;
      INSERT INTO queues (id, tenant_id, clinic_id, name) SELECT i, ${tenantOf(USERS / 2)}, i, 'Queue ' || i FROM generate_series(1, ${USERS / 2}) i;
      INSERT INTO sub_queues (id, queue_id, name, position) SELECT i, 1 + (i - 1) / 2, 'Sub ' || md5(i::text), i % 2 FROM generate_series(1, ${USERS}) i;
      ANALYZE;`,
    );
    // The state of a database some time after a bulk load: vacuumed (visibility map and hint
    // bits set, as autovacuum leaves it) and written out, so neither run pays for the load's
    // first reads or competes with the checkpoint writing a gigabyte of it.
    await sql(database, 'VACUUM');
    await sql(database, 'CHECKPOINT');
    const total = USERS * 3 + TENANTS;

    const backups = moduleRef.get(BackupService);
    const exports = moduleRef.get(TenantExportService);
    const t0 = process.hrtime.bigint();
    const full = await backups.run({ onlyDb: true, emitEvents: false });
    const fullMs = msSince(t0);
    if (!full.ok) throw new Error(`full backup failed: ${full.error}`);

    // The first export of the process (cold: scope built, code paths compiled), its steps timed.
    const steps: string[] = [];
    const t1 = process.hrtime.bigint();
    let last = t1;
    const one = await exports.export({
      tenantId: '42',
      onStep: (m) => {
        const now = process.hrtime.bigint();
        steps.push(`${msSince(last, now).toFixed(1).padStart(7)} ms  ${m}`);
        last = now;
      },
    });
    const oneMs = msSince(t1);
    // Then the next 20 tenants (the same size each), one after the other as `backup:run
    // --each-tenant` exports them; the first few of a process still run partly unoptimised code.
    const warm: number[] = [];
    for (let n = 43; n < 43 + WARM; n++) {
      const id = String(n);
      const t = process.hrtime.bigint();
      await exports.export({ tenantId: id, onStep: () => undefined });
      warm.push(msSince(t));
    }
    const warmMs = warm.sort((a, b) => a - b)[Math.floor(warm.length / 2)];
    const rows = Object.values(one.tables).reduce((s, n) => s + n, 0);

    console.log(
      `PostgreSQL, ${total.toLocaleString('en')} rows in 5 tables, ${TENANTS} tenants (indexes on tenant_id and queue_id), rows ${LAYOUT}`,
    );
    console.log(`full backup:run --only-db  : ${fullMs.toFixed(0).padStart(7)} ms, ${full.archiveBytes.toLocaleString('en')} bytes`);
    console.log(
      `tenant-export of tenant 42 : ${oneMs.toFixed(0).padStart(7)} ms (first of the process), ${one.bytes.toLocaleString('en')} bytes, ${rows.toLocaleString('en')} rows (${((rows / total) * 100).toFixed(2)}% of the rows)`,
    );
    console.log(
      `  its steps (time since the previous step; the first includes start-up: scope, connection, tenant check, columns, upload):`,
    );
    for (const line of steps) console.log(`  ${line}`);
    console.log(
      `  ${(oneMs - steps.reduce((s, l) => s + Number(l.trim().split(' ')[0]), 0)).toFixed(1).padStart(7)} ms  manifest, upload, commit, close`,
    );
    console.log(`tenant-export, median of ${WARM}: ${warmMs.toFixed(0).padStart(7)} ms (tenants 43-${42 + WARM}, warm)`);
    console.log(
      `export / full              : ${((oneMs / fullMs) * 100).toFixed(1)}% (first), ${((warmMs / fullMs) * 100).toFixed(1)}% (warm)`,
    );
    await moduleRef.close();
  } finally {
    await sql('postgres', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    rmSync(appRoot, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
