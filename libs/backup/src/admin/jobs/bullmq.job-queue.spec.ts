import { QueuedJob } from '../../queue/backup.queue';
import { toAdminJob } from './bullmq.job-queue';

const base: QueuedJob = {
  id: '7',
  name: 'run',
  data: { kind: 'run', params: { onlyDb: true }, caller: 'token' },
  state: 'completed',
  attemptsMade: 0,
  progress: { step: 'done', bytes: 120 },
  returnValue: { ok: true, result: { ok: true, key: 'app/x.zip' } },
  failedReason: null,
  processedBy: 'host:1',
  createdAt: Date.UTC(2026, 0, 1),
  startedAt: Date.UTC(2026, 0, 1, 0, 0, 1),
  finishedAt: Date.UTC(2026, 0, 1, 0, 0, 9),
};

describe('a queued job as the admin API shows it', () => {
  it('maps BullMQ states: a completed job is succeeded only when its work said ok', () => {
    expect(toAdminJob(base)).toEqual({
      id: '7',
      kind: 'run',
      params: { onlyDb: true },
      caller: 'token',
      state: 'succeeded',
      createdAt: '2026-01-01T00:00:00.000Z',
      startedAt: '2026-01-01T00:00:01.000Z',
      finishedAt: '2026-01-01T00:00:09.000Z',
      progress: { step: 'done', bytes: 120, uploaded: [], updatedAt: null },
      result: { ok: true, key: 'app/x.zip' },
      error: null,
    });
    expect(toAdminJob({ ...base, returnValue: { ok: false, result: { ok: false, error: 'disk full' } } })).toMatchObject({
      state: 'failed',
      result: { error: 'disk full' },
      error: null,
    });
    expect(toAdminJob({ ...base, state: 'failed', returnValue: null, failedReason: 'Backup not started' })).toMatchObject({
      state: 'failed',
      error: 'Backup not started',
      result: null,
    });
    expect(toAdminJob({ ...base, state: 'running', returnValue: null, progress: 0 })).toMatchObject({
      state: 'running',
      finishedAt: null,
      progress: { step: null, bytes: null },
    });
    expect(toAdminJob({ ...base, state: 'queued', returnValue: null, startedAt: null })).toMatchObject({
      state: 'queued',
      startedAt: null,
    });
  });

  it('shows the tenants of a queued --each-tenant as tenant-export jobs, and no job of another name', () => {
    const tenant = {
      ...base,
      name: 'each-tenant',
      data: { tenantId: '3', disk: 'local', now: '2026-01-01T00:00:00.000Z' },
      returnValue: { ok: true, result: { tenantId: '3', ok: true } },
    };
    expect(toAdminJob(tenant)).toMatchObject({
      kind: 'tenant-export',
      params: { tenantId: '3', disk: 'local' },
      caller: 'backup:run --each-tenant',
      state: 'succeeded',
    });
    expect(toAdminJob({ ...base, name: 'something-else' })).toBeUndefined();
  });
});
