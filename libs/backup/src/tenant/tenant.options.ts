/**
 * How the host's data is split by tenant (module option `tenant`, env BACKUP_TENANT_*).
 *
 * @example
 * BackupModule.forRoot({ ...options, tenant: { entity: Tenant, column: 'tenant_id', files: ['storage/app/tenants/{tenant}/**'] } })
 */
export interface TenantOptions {
  /** The tenant entity (class or name); default: the entity that the tenant column references, else a table named "tenants". */
  entity?: string | Function;
  /** The column that names the tenant in scoped tables (database name); default `tenant_id`. */
  column?: string;
  /** File path patterns relative to the app root with `{tenant}` in them, e.g. `storage/app/tenants/{tenant}/**`. */
  files?: string[];
  /** Tables the host declares shared by every tenant (never exported); they are not reported as unplaced. */
  sharedTables?: string[];
  /** The TypeORM DataSource the tenants live in (default: the first of BACKUP_DATABASES). */
  dataSource?: string;
}

export const DEFAULT_TENANT_COLUMN = 'tenant_id';
