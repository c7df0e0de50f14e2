import { Injectable } from '@nestjs/common';
import { AuditTrail } from '../audit/audit.trail';
import { AuditOutcome, AuditRecord, AUDIT_OPERATIONS, ADMIN_REQUEST_OPERATION } from '../audit/audit.types';
import { ComplianceReport } from '../audit/compliance.report';
import { ComplianceReporter, parseSince } from '../audit/compliance.reporter';
import { listingJson } from '../cli/list.command';
import { HealthMonitor } from '../health/health.monitor';
import { HealthReport } from '../health/health.types';
import { RestoreService } from '../restore/restore.service';
import { RestoreReport, RestoreRequest } from '../restore/restore.types';
import { AdminRequestError } from './admin.errors';

/** GET audit: which records, which page. */
export interface AuditQuery {
  operation?: string;
  outcome?: string;
  since?: string;
  page?: string;
  pageSize?: string;
}

export interface AuditPage {
  total: number;
  page: number;
  pageSize: number;
  /** Newest first. */
  records: AuditRecord[];
  sources: string[];
  problems: string[];
}

/** What a dry-run restore plan may be asked for: everything but the switches that change data. */
export type RestorePlanRequest = Pick<
  RestoreRequest,
  | 'name'
  | 'latest'
  | 'disk'
  | 'onlyDb'
  | 'onlyFiles'
  | 'dbName'
  | 'toDatabase'
  | 'filesTo'
  | 'stripPrefix'
  | 'allowUnencrypted'
  | 'allowOtherApp'
  | 'allowOtherEngine'
>;
const PLAN_FIELDS: Record<keyof RestorePlanRequest, 'string' | 'boolean'> = {
  name: 'string',
  latest: 'boolean',
  disk: 'string',
  onlyDb: 'boolean',
  onlyFiles: 'boolean',
  dbName: 'string',
  toDatabase: 'string',
  filesTo: 'string',
  stripPrefix: 'string',
  allowUnencrypted: 'boolean',
  allowOtherApp: 'boolean',
  allowOtherEngine: 'boolean',
};
const OUTCOMES: AuditOutcome[] = ['success', 'partial', 'failure'];
const MAX_PAGE_SIZE = 500;

/**
 * The read side of the admin API, each answer computed by the service the CLI command uses:
 * list = `backup:list --json`, health = `backup:monitor --json` (without its notifications and
 * its own "monitor" audit record: the request is recorded instead), report = `backup:report
 * --format json`, restore plan = `backup:restore --dry-run --json`.
 */
@Injectable()
export class AdminQueries {
  constructor(
    private readonly monitor: HealthMonitor,
    private readonly reporter: ComplianceReporter,
    private readonly trail: AuditTrail,
    private readonly restores: RestoreService,
  ) {}

  async list(): Promise<ReturnType<typeof listingJson>> {
    const now = new Date();
    return listingJson(this.monitor.appName(), await this.monitor.evaluate({ disks: this.monitor.listedDisks(), now }), now);
  }

  health(): Promise<HealthReport> {
    return this.monitor.evaluate({ now: new Date() });
  }

  report(since?: string): Promise<ComplianceReport> {
    return this.reporter.report({ since: since ? parseSince(since) : undefined });
  }

  async audit(query: AuditQuery): Promise<AuditPage> {
    const operations: readonly string[] = [...AUDIT_OPERATIONS, ADMIN_REQUEST_OPERATION];
    if (query.operation && !operations.includes(query.operation))
      throw new AdminRequestError(`No audit operation "${query.operation}"`, `Use one of: ${operations.join(', ')}.`);
    if (query.outcome && !OUTCOMES.includes(query.outcome as AuditOutcome))
      throw new AdminRequestError(`No outcome "${query.outcome}"`, `Use one of: ${OUTCOMES.join(', ')}.`);
    const page = positive('page', query.page, 1);
    const pageSize = Math.min(positive('pageSize', query.pageSize, 50), MAX_PAGE_SIZE);
    const { records, sources, problems } = await this.trail.read(query.since ? parseSince(query.since) : undefined);
    const matching = records
      .filter((r) => (!query.operation || r.operation === query.operation) && (!query.outcome || r.outcome === query.outcome))
      .reverse();
    return { total: matching.length, page, pageSize, records: matching.slice((page - 1) * pageSize, page * pageSize), sources, problems };
  }

  /** Always a dry run: nothing here can restore (the API exposes no restore that changes data). */
  restorePlan(input: Record<string, unknown>): Promise<RestoreReport> {
    const request: Record<string, unknown> = {};
    for (const [key, raw] of Object.entries(input ?? {})) {
      const type = PLAN_FIELDS[key as keyof RestorePlanRequest];
      if (!type)
        throw new AdminRequestError(`"${key}" is not a field of a restore plan`, `Known fields: ${Object.keys(PLAN_FIELDS).join(', ')}.`);
      // Query strings carry text: "true"/"false" stand for booleans there.
      const value = type === 'boolean' && typeof raw === 'string' ? raw === 'true' || raw === '' : raw;
      if (typeof value !== type) throw new AdminRequestError(`"${key}" must be a ${type}`, `Send "${key}" as a ${type}.`);
      request[key] = value;
    }
    return this.restores.restore({ ...(request as RestorePlanRequest), dryRun: true });
  }
}

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new AdminRequestError(`${name} "${value}" is not a whole number above 0`, `Send ${name}=1 or more.`);
  return n;
}
