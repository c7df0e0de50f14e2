import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommandRunner, Option } from 'nest-commander';
import { DataSource } from 'typeorm';
import { Clinic, DEMO_ENTITIES, Queue, SubQueue, Tenant, User } from '../entities';
import { demoRows } from './demo-data';

interface SeedFlags {
  tenants?: number;
  rows?: number;
  filesRoot?: string;
}

/** `demo:seed`: (re)creates the demo schema and fills it with tenants, users, clinics, queues and files. */
@Command({ name: 'demo:seed', description: 'Create the demo schema and fill it with tenants and their data' })
export class SeedCommand extends CommandRunner {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async run(_params: string[], flags: SeedFlags = {}): Promise<void> {
    const tenants = flags.tenants ?? 5;
    const perTenant = flags.rows ?? 20;
    if (!this.dataSource.isInitialized) await this.dataSource.initialize();
    try {
      await this.dataSource.synchronize(true);
      const rows = demoRows(tenants, perTenant);
      // Parents first, in chunks small enough for every driver's parameter limit.
      const inserts: [Function, object[]][] = [
        [Tenant, rows.tenants],
        [User, rows.users.map(({ tenant_id, ...u }) => ({ ...u, tenantId: tenant_id }))],
        [Clinic, rows.clinics.map(({ tenant_id, ...c }) => ({ ...c, tenantId: tenant_id }))],
        [Queue, rows.queues.map(({ tenant_id, clinic_id, ...q }) => ({ ...q, tenantId: tenant_id, clinicId: clinic_id }))],
        [SubQueue, rows.sub_queues.map(({ queue_id, ...s }) => ({ ...s, queueId: queue_id }))],
      ];
      for (const [entity, list] of inserts) {
        for (let i = 0; i < list.length; i += 200) {
          await this.dataSource
            .createQueryBuilder()
            .insert()
            .into(entity)
            .values(list.slice(i, i + 200))
            .execute();
        }
      }
      const filesRoot = path.resolve(flags.filesRoot ?? 'storage/app');
      writeTenantFiles(filesRoot, tenants);
      const counts = Object.entries(rows)
        .map(([t, l]) => `${t}=${l.length}`)
        .join(' ');
      process.stdout.write(`Seeded ${DEMO_ENTITIES.length} tables (${counts}) and files under ${filesRoot}\n`);
    } finally {
      await this.dataSource.destroy();
    }
  }

  @Option({ flags: '--tenants <n>', description: 'Number of tenants (default 5)' })
  parseTenants(value: string): number {
    return positiveInt(value, '--tenants');
  }

  @Option({ flags: '--rows <n>', description: 'Users per tenant (default 20)' })
  parseRows(value: string): number {
    return positiveInt(value, '--rows');
  }

  @Option({ flags: '--files-root <dir>', description: 'Where uploaded files go (default storage/app)' })
  parseFilesRoot(value: string): string {
    return value;
  }
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive whole number (got "${value}")`);
  return n;
}

/** Uploaded files per tenant: text that compresses and bytes that do not, like real uploads. */
function writeTenantFiles(root: string, tenants: number): void {
  for (let t = 1; t <= tenants; t++) {
    const dir = path.join(root, 'tenants', String(t));
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'report.txt'), `Tenant ${t} monthly report\n`.repeat(200 + t));
    const bytes = Buffer.alloc(4096 + t);
    let x = t * 2654435761;
    for (let i = 0; i < bytes.length; i++) bytes[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
    fs.writeFileSync(path.join(dir, 'logo.bin'), bytes);
  }
}
