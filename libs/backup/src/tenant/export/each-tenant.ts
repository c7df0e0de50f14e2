import { errorText } from '../../catalog/backup.catalog';
import { CleanupService } from '../../cleanup/cleanup.service';
import { validateRetentionOptions } from '../../retention/retention.plan';
import { RetentionOptions } from '../../retention/retention.types';
import { openSession } from '../sessions/open-session';
import { TenantExportReport, TenantExportRequest, tenantExportFolder } from './tenant-export.types';
import { listTenantIds } from './tenant-rows';
import { TenantScopeService } from '../scope/tenant-scope.service';

export interface EachTenantRequest {
  /** Disk to store the exports on and clean (default: the first of BACKUP_DISKS). */
  disk?: string;
  now?: Date;
  /** Cleanup events still fire, notification channels stay silent. */
  disableNotifications?: boolean;
  /** Called once per tenant, after its export and its folder's cleanup. */
  onTenant?: (result: TenantRunResult) => void;
}

/** One tenant of `backup:run --each-tenant`. */
export interface TenantRunResult {
  tenantId: string;
  ok: boolean;
  /** The new export (absent when the export failed). */
  key?: string;
  bytes?: number;
  /** Older exports of this tenant removed by the retention plan. */
  deleted: string[];
  /** Why the export or the cleanup of this tenant's folder failed. */
  error?: string;
}

export interface EachTenantReport {
  ok: boolean;
  disk: string;
  tenants: TenantRunResult[];
  durationMs: number;
}

/** What exportEachTenant needs: one export, the scope, the cleanup and the options. */
export interface EachTenantDeps {
  appName: string;
  disk: string;
  retention: RetentionOptions;
  scopes: TenantScopeService;
  cleanup: CleanupService;
  exportOne(request: TenantExportRequest): Promise<TenantExportReport>;
}

/**
 * `backup:run --each-tenant`: exports every tenant of the tenant table, one after the other (a
 * failing tenant is reported and the others go on), then applies the retention plan to each
 * exported tenant's own folder `<app>/tenants/<id>/` — its dated exports only, never the full
 * backups, another tenant's folder or the `pre-restore-` safety exports. A tenant whose export
 * failed keeps all its older exports.
 */
export async function exportEachTenant(deps: EachTenantDeps, request: EachTenantRequest = {}): Promise<EachTenantReport> {
  const started = Date.now();
  // A wrong retention setting stops the run before any export, not after the first one.
  validateRetentionOptions(deps.retention);
  const now = request.now ?? new Date();
  const ids = await tenantIds(deps.scopes);

  const results: TenantRunResult[] = [];
  for (const tenantId of ids) {
    try {
      const report = await deps.exportOne({ tenantId, disk: deps.disk, now, onStep: () => undefined });
      results.push({ tenantId, ok: true, key: report.key, bytes: report.bytes, deleted: [] });
    } catch (err) {
      results.push({ tenantId, ok: false, deleted: [], error: errorText(err) });
    }
  }

  for (const result of results) {
    if (result.ok) await cleanTenantFolder(deps, result, now, !!request.disableNotifications);
    request.onTenant?.(result);
  }
  return { ok: results.every((r) => r.ok), disk: deps.disk, tenants: results, durationMs: Date.now() - started };
}

/** The name of a queued tenant job of `backup:run --each-tenant`. */
export const EACH_TENANT_JOB = 'each-tenant';

/** What one queued tenant job of `backup:run --each-tenant` carries (plain JSON). */
export interface TenantRunJob {
  tenantId: string;
  disk: string;
  /** The run's date (ISO): every tenant's export of one run has the same file name. */
  now: string;
  disableNotifications?: boolean;
}

/**
 * One tenant of a queued `--each-tenant` run: its export, then its folder's retention cleanup.
 * A failed export throws (the queue retries the job); a failed cleanup after a stored export is
 * a result with ok false (retrying would export the tenant twice).
 */
export async function exportAndCleanTenant(
  deps: EachTenantDeps,
  job: TenantRunJob,
  onStep: (step: string) => void = () => undefined,
): Promise<TenantRunResult> {
  validateRetentionOptions(deps.retention);
  const now = new Date(job.now);
  const report = await deps.exportOne({ tenantId: job.tenantId, disk: deps.disk, now, onStep });
  const result: TenantRunResult = { tenantId: job.tenantId, ok: true, key: report.key, bytes: report.bytes, deleted: [] };
  onStep('applying retention');
  await cleanTenantFolder(deps, result, now, !!job.disableNotifications);
  return result;
}

/** The ids of the tenant table, in order. */
export async function tenantIds(scopes: TenantScopeService): Promise<string[]> {
  const scope = await scopes.scope();
  const session = await openSession(scopes.connection());
  try {
    return await listTenantIds(session, scope);
  } finally {
    await session.close().catch(() => undefined);
  }
}

async function cleanTenantFolder(deps: EachTenantDeps, result: TenantRunResult, now: Date, disableNotifications: boolean): Promise<void> {
  const folder = tenantExportFolder(deps.appName, result.tenantId);
  try {
    const report = await deps.cleanup.clean({ disks: [deps.disk], folder: { folder }, now, disableNotifications });
    const [cleaned] = report.destinations;
    result.deleted = cleaned.deleted.map((d) => d.key);
    if (!cleaned.ok) {
      result.ok = false;
      result.error = `exported to ${result.key}, but the retention cleanup of ${folder} failed: ${cleaned.error ?? cleaned.failed.map((f) => `${f.key}: ${f.error}`).join('; ')}`;
    }
  } catch (err) {
    result.ok = false;
    result.error = `exported to ${result.key}, but the retention cleanup of ${folder} failed: ${errorText(err)}`;
  }
}

/** One line per tenant for the terminal. */
export function tenantRunLine(r: TenantRunResult): string {
  if (!r.ok) return `✘ tenant ${r.tenantId}: ${r.error}`;
  const removed = r.deleted.length ? `, ${r.deleted.length} older export(s) removed by retention` : '';
  return `✔ tenant ${r.tenantId}: ${r.key} (${r.bytes} bytes${removed})`;
}
