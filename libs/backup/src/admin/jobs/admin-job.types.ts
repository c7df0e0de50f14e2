/** What the admin API can start: a backup run, a verify, a test restore, a tenant export. */
export const ADMIN_JOB_KINDS = ['run', 'verify', 'test-restore', 'tenant-export'] as const;
export type AdminJobKind = (typeof ADMIN_JOB_KINDS)[number];

/** `failed`: the work threw, or finished with ok false (the result then says why). */
export type AdminJobState = 'queued' | 'running' | 'succeeded' | 'failed';

/** Parameters of each kind (validated by parseJobParams; nothing else is accepted). */
export interface RunJobParams {
  onlyDb?: boolean;
  onlyFiles?: boolean;
  onlyToDisk?: string;
  disableNotifications?: boolean;
}
export interface VerifyJobParams {
  name?: string;
  disk?: string;
  all?: boolean;
}
export interface TenantExportJobParams {
  tenantId: string;
  disk?: string;
}
export type AdminJobParams = RunJobParams | VerifyJobParams | TenantExportJobParams;

/** What a job asks for: its kind, its parameters and who asked. Plain JSON, so a queue can carry it. */
export interface AdminJobRequest {
  kind: AdminJobKind;
  params: AdminJobParams;
  caller: string;
}

/** How far a job has come: the step it is at, archive bytes written, bytes uploaded per disk. */
export interface AdminJobProgress {
  step: string | null;
  bytes: number | null;
  uploaded: Array<{ disk: string; bytes: number }>;
  updatedAt: string | null;
}

/** A job as the API returns it. */
export interface AdminJob extends AdminJobRequest {
  id: string;
  state: AdminJobState;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  progress: AdminJobProgress;
  /** The service's report (what the CLI's --json prints), once finished. */
  result: unknown;
  error: string | null;
}

/** What the work sees of its job: where to report progress, and the signal that stops it. */
export interface AdminJobReporter {
  progress(update: Partial<Omit<AdminJobProgress, 'updatedAt'>>): void;
  /** Aborted when the app shuts down: a run stops cleanly (tools killed, uploads aborted). */
  signal?: AbortSignal;
}

/** The outcome of the work: ok false marks the job failed and keeps the report. */
export interface AdminJobOutcome {
  ok: boolean;
  result: unknown;
}
