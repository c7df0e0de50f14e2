import { BackupDestination, IncompleteUpload } from '../destinations/destination.interface';
import { formatBytes } from '../listing/size.format';

/** What a destination holds besides backups that still costs money, and what guards against it. */
export interface UploadLeftovers {
  /** Incomplete multipart uploads under the app's folder; undefined when the server cannot list them. */
  incompleteUploads?: IncompleteUpload[];
  /** Said by backup:list and backup:monitor; never makes a disk unhealthy. */
  warnings: string[];
}

/**
 * Looks for incomplete multipart uploads under `prefix` (a killed run's parts, billed until
 * aborted) and, where the bucket's lifecycle can be read, for the rule that aborts them.
 * Never throws: a server without these calls (s3rver) simply reports nothing.
 */
export async function probeLeftovers(destination: BackupDestination, prefix: string): Promise<UploadLeftovers> {
  const warnings: string[] = [];
  const incompleteUploads = await destination.listIncompleteUploads?.(prefix).catch(() => undefined);
  if (incompleteUploads?.length) {
    const bytes = incompleteUploads.reduce((n, u) => n + u.bytes, 0);
    warnings.push(
      `${incompleteUploads.length} incomplete upload(s) hold ${formatBytes(bytes)} not counted as backups ` +
        `(${incompleteUploads.map((u) => `${u.key}: ${u.parts} part(s), ${formatBytes(u.bytes)}, started ${u.initiated.toISOString()}`).join('; ')}); ` +
        'the next backup:run aborts those of dead runs',
    );
  }
  if ((await destination.abortsIncompleteUploads?.(prefix).catch(() => undefined)) === false) {
    warnings.push(
      'the bucket has no lifecycle rule that aborts incomplete multipart uploads (AbortIncompleteMultipartUpload): ' +
        'parts of a killed run stay billed until the next run; add the rule shown in the README',
    );
  }
  return { incompleteUploads, warnings };
}
