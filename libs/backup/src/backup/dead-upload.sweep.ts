import { LoggerService } from '@nestjs/common';
import { BackupDestination, IncompleteUpload } from '../destinations/destination.interface';
import { formatBytes } from '../listing/size.format';

/** A key a run of ours could have been uploading: an archive name, not someone else's file. */
const BACKUP_LIKE = /\.zip$/;

/**
 * Aborts the incomplete multipart uploads of runs that died (SIGKILL, OOM kill, reboot) under
 * `prefix`, so their parts stop being billed, and says which. Called only by a run that holds
 * the job lock and before it opens its own upload on `target`: the lock lets one run at a time
 * upload, so every incomplete upload of an archive name there belongs to a run that is gone.
 * Never throws: a server that cannot list uploads (s3rver) leaves the bucket's lifecycle rule
 * as the only defence, and that is said once.
 */
export async function abortDeadUploads(target: BackupDestination, prefix: string, logger: LoggerService): Promise<IncompleteUpload[]> {
  if (!target.listIncompleteUploads || !target.abortIncompleteUpload) return [];
  let found: IncompleteUpload[];
  try {
    found = (await target.listIncompleteUploads(prefix)).filter((u) => BACKUP_LIKE.test(u.key));
  } catch (err) {
    logger.warn(
      `Could not list incomplete uploads on ${target.name} (${err instanceof Error ? err.message : String(err)}); ` +
        'parts of killed runs stay until the bucket lifecycle rule aborts them (see the README)',
    );
    return [];
  }
  const aborted: IncompleteUpload[] = [];
  for (const upload of found) {
    try {
      await target.abortIncompleteUpload(upload);
      aborted.push(upload);
    } catch (err) {
      logger.warn(
        `Could not abort the incomplete upload of ${upload.key} on ${target.name}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  if (aborted.length > 0) {
    const what = aborted.map((u) => `${u.key} (${u.parts} part${u.parts === 1 ? '' : 's'}, ${formatBytes(u.bytes)})`).join(', ');
    const one = aborted.length === 1;
    logger.warn(
      `Aborted ${aborted.length} incomplete upload${one ? '' : 's'} left by ${one ? 'a dead run' : 'dead runs'} on ${target.name}: ${what}`,
    );
  }
  return aborted;
}
