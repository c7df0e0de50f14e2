import { AuditTrail } from '../audit/audit.trail';
import { ADMIN_REQUEST_OPERATION } from '../audit/audit.types';

export interface AdminRequestFacts {
  request: Record<string, unknown>;
  startedAt: Date;
  caller: string;
  status: number;
  error?: string;
  /** The job a POST started. */
  jobId?: string;
}

/**
 * One audit record per admin API request: method, path, status and caller. The
 * Authorization header is never part of it; the trail redacts every configured secret.
 */
export async function recordAdminRequest(trail: AuditTrail, facts: AdminRequestFacts): Promise<void> {
  const { request } = facts;
  await trail.record({
    operation: ADMIN_REQUEST_OPERATION,
    startedAt: facts.startedAt,
    finishedAt: new Date(),
    outcome: facts.status < 400 ? 'success' : 'failure',
    error: facts.status < 400 ? null : `${facts.status}${facts.error ? `: ${facts.error}` : ''}`,
    details: {
      caller: facts.caller,
      method: String(request.method ?? ''),
      path: String(request.originalUrl ?? request.url ?? ''),
      status: facts.status,
      ...(facts.jobId ? { jobId: facts.jobId } : {}),
    },
  });
}
