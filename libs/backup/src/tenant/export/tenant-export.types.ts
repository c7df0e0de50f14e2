import { TenantScope } from '../scope/tenant.scope';

/** What a tenant export's manifest says about the tenant (manifest field `tenant`). */
export interface TenantExportFacts {
  formatVersion: 1;
  tenantId: string;
  /** The tenant table and its key column. */
  tenantTable: string;
  keyColumn: string;
  /** The tenant column name of scoped tables. */
  column: string;
  driver: string;
  /** Parents first, as they must be inserted. */
  tables: Array<{ table: string; entry: string; rows: number; columns: string[] }>;
  files: number;
  sharedTables: string[];
  unplacedTables: string[];
}

export interface TenantExportRequest {
  tenantId: string;
  /** Disk to store the export on (default: the first of BACKUP_DISKS). */
  disk?: string;
  /** A password of its own (data portability); default: the archive password of the backups. */
  password?: string;
  now?: Date;
  /** File name prefix, e.g. "pre-restore-" for the safety export. */
  prefix?: string;
  onStep?: (message: string) => void;
}

export interface TenantExportReport {
  tenantId: string;
  disk: string;
  key: string;
  bytes: number;
  encrypted: boolean;
  tables: Record<string, number>;
  files: number;
  durationMs: number;
}

export const TENANT_DATA_PREFIX = 'tenant-data/';

export function tenantDataEntry(table: string): string {
  return `${TENANT_DATA_PREFIX}${table.replace(/[^A-Za-z0-9._-]+/g, '_')}.jsonl`;
}

/** `<BACKUP_NAME>/tenants/<tenantId>/` on every disk. */
export function tenantExportFolder(appName: string, tenantId: string | number): string {
  return `${appName}/tenants/${tenantId}/`;
}

export type { TenantScope };
