import { RetryPolicy, withRetries } from '../backup/retry';
import { CleanupService } from '../cleanup/cleanup.service';
import { CleanupReport, CleanupRequest } from '../cleanup/cleanup.types';

/**
 * `backup:clean` with --tries / --retry-delay. CleanupService emits its events per attempt, so
 * the attempts before the last run with the notification channels silenced; the last one uses
 * the caller's setting. (A success on an early attempt is therefore not announced: cleanup
 * success notifications are off unless BACKUP_SUCCESS_NOTIFICATIONS asks for them.)
 */
export function cleanWithRetries(
  cleanup: CleanupService,
  request: CleanupRequest,
  policy: RetryPolicy,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<CleanupReport> {
  return withRetries(
    { ...policy, timeoutMs: null }, // deletions are short; a half-stopped cleanup helps no one
    signal,
    (a) => cleanup.clean({ ...request, disableNotifications: request.disableNotifications || a.number < a.tries }),
    {
      succeeded: (r) => r.ok,
      describeFailure: (r) =>
        r.destinations
          .filter((d) => !d.ok)
          .map((d) => `${d.destination}: ${d.error ?? `${d.failed.length} deletion(s) failed`}`)
          .join('; '),
      log: (line) =>
        policy.tries > 1 || !line.endsWith('succeeded') ? log(`Cleanup ${line.charAt(0).toLowerCase()}${line.slice(1)}`) : undefined,
    },
  );
}
