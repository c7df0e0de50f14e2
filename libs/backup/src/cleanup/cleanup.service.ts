import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { BACKUP_OPTIONS } from '../config/backup-options.token';
import { secretsOf } from '../config/secrets';
import { BackupEntry, CatalogFolder, StrangerEntry } from '../catalog/backup-entry';
import { BackupCatalog, errorText } from '../catalog/backup.catalog';
import { forEachConcurrently } from '../common/concurrently';
import { Redactor } from '../common/redact';
import { BackupModuleOptions } from '../config/backup-options.interface';
import { BackupDestination } from '../destinations/destination.interface';
import { BackupEvents, CleanupFailedEvent, CleanupSucceededEvent } from '../events/backup.events';
import { planRetention, validateRetentionOptions } from '../retention/retention.plan';
import { CleanupDeleteFailure, CleanupDeletion, CleanupReport, CleanupRequest, DestinationCleanup } from './cleanup.types';
import { audited, AUDIT_TRAIL, AuditRecorder } from '../audit/audit.hook';
import { cleanFacts } from './cleanup.audit';

/** Deletions in flight per destination. */
const DELETE_CONCURRENCY = 8;

/**
 * Applies the retention plan (options.retention) to each backup disk: lists this app's backups
 * (files it did not write are never listed, counted or deleted; dated names that cannot be
 * backups, future-dated or too small, are reported as left alone), plans, and deletes each doomed
 * backup exactly once (oldest first, a few at a time). A deletion that fails is reported and the others still go
 * ahead; nothing is retried in a loop. Emits backup.cleanup.succeeded or backup.cleanup.failed
 * per destination (not in a dry run).
 *
 * @example
 * const report = await cleanup.clean({ dryRun: true });
 * report.destinations[0].deleted // [{ key, size, reason: 'daily period (…): not the newest of day …' }]
 */
@Injectable()
export class CleanupService {
  private readonly logger = new Logger('BackupCleanup');
  private readonly redactor: Redactor;

  constructor(
    @Inject(BACKUP_OPTIONS) private readonly options: BackupModuleOptions,
    private readonly catalog: BackupCatalog,
    @Optional() private readonly events?: EventEmitter2,
    @Optional() @Inject(AUDIT_TRAIL) private readonly audit?: AuditRecorder,
  ) {
    this.redactor = new Redactor(secretsOf(options));
  }

  async clean(request: CleanupRequest = {}): Promise<CleanupReport> {
    return audited(this.audit, 'clean', () => this.cleanAll(request), cleanFacts, {
      destination: (request.disks ?? this.options.disks).join(','),
    });
  }

  private async cleanAll(request: CleanupRequest): Promise<CleanupReport> {
    // A wrong retention setting is a configuration error: stop before touching any disk.
    validateRetentionOptions(this.options.retention);
    const now = request.now ?? new Date();
    const dryRun = !!request.dryRun;
    const disks = [...new Set(request.disks ?? this.options.disks)];
    const destinations: DestinationCleanup[] = [];
    for (const disk of disks) {
      const result = await this.cleanDisk(disk, now, dryRun, request.folder);
      destinations.push(result);
      if (!dryRun) await this.emit(result, !!request.disableNotifications);
    }
    return { ok: destinations.every((d) => d.ok), dryRun, destinations };
  }

  private async cleanDisk(disk: string, now: Date, dryRun: boolean, folder?: CatalogFolder): Promise<DestinationCleanup> {
    let destination: BackupDestination | undefined;
    let backups: BackupEntry[];
    let strangers: StrangerEntry[];
    try {
      destination = this.catalog.resolve(disk);
      ({ backups, strangers } = await this.catalog.survey(destination, folder, now));
    } catch (err) {
      const error = this.redactor.redact(`${disk} cannot be listed: ${errorText(err)}`);
      this.logger.error(`Cleanup of ${disk} failed: ${error}`);
      return {
        destination: destination?.name ?? disk,
        description: destination?.describe() ?? disk,
        ok: false,
        error,
        countBefore: 0,
        usedBytesBefore: 0,
        deleted: [],
        failed: [],
        countAfter: 0,
        usedBytesAfter: 0,
        leftAlone: [],
      };
    }

    const plan = planRetention(backups, now, this.options.retention);
    const byKey = new Map(backups.map((b) => [b.key, b]));
    const doomed = plan.delete
      .slice()
      .reverse()
      .map((key): CleanupDeletion => ({ key, size: byKey.get(key)!.size, reason: plan.reasons[key] ?? 'planned for deletion' }));

    const outcomes = dryRun ? doomed.map(() => undefined) : await this.deleteAll(destination, doomed);
    const deleted = doomed.filter((_, i) => outcomes[i] === undefined);
    const failed: CleanupDeleteFailure[] = doomed.flatMap((item, i) =>
      outcomes[i] === undefined ? [] : [{ ...item, error: outcomes[i]! }],
    );

    const usedBytesBefore = backups.reduce((sum, b) => sum + b.size, 0);
    const freed = deleted.reduce((sum, d) => sum + d.size, 0);
    return {
      destination: destination.name,
      description: destination.describe(),
      ok: failed.length === 0,
      countBefore: backups.length,
      usedBytesBefore,
      deleted,
      failed,
      countAfter: backups.length - deleted.length,
      usedBytesAfter: usedBytesBefore - freed,
      leftAlone: strangers,
    };
  }

  /**
   * Deletes every key once, a few at a time (a sequential loop over thousands of S3 objects is
   * slow). Returns per key undefined (deleted) or the redacted error; never retries.
   */
  private async deleteAll(destination: BackupDestination, doomed: CleanupDeletion[]): Promise<Array<string | undefined>> {
    const outcomes: Array<string | undefined> = new Array(doomed.length).fill(undefined);
    await forEachConcurrently(doomed, DELETE_CONCURRENCY, async (item, i) => {
      try {
        await destination.delete(item.key);
      } catch (err) {
        outcomes[i] = this.redactor.redact(errorText(err));
        this.logger.error(`Could not delete ${item.key} from ${destination.name}: ${outcomes[i]}`);
      }
    });
    return outcomes;
  }

  private async emit(result: DestinationCleanup, disableNotifications: boolean): Promise<void> {
    if (!this.events) return;
    const meta = { disableNotifications };
    const at = new Date().toISOString();
    const base = { appName: this.options.appName, destination: result.destination, at };
    try {
      if (result.ok) {
        const event: CleanupSucceededEvent = { ...base, deleted: result.deleted.map((d) => d.key), usedBytesAfter: result.usedBytesAfter };
        await this.events.emitAsync(BackupEvents.CleanupSucceeded, event, meta);
      } else {
        const event: CleanupFailedEvent = { ...base, error: failureText(result) };
        await this.events.emitAsync(BackupEvents.CleanupFailed, event, meta);
      }
    } catch (err) {
      // A listener's failure must never change the cleanup's outcome.
      this.logger.error(`A listener of the cleanup event for ${result.destination} failed: ${this.redactor.redact(errorText(err))}`);
    }
  }
}

/** One line saying what went wrong on a destination, for the failure event. */
export function failureText(result: DestinationCleanup): string {
  if (result.error) return result.error;
  const shown = result.failed.slice(0, 5).map((f) => `${f.key}: ${f.error}`);
  const more = result.failed.length > shown.length ? `; and ${result.failed.length - shown.length} more` : '';
  return (
    `${result.failed.length} of ${result.failed.length + result.deleted.length} planned deletions failed ` +
    `(${shown.join('; ')}${more}); ${result.deleted.length} deleted, ${result.usedBytesAfter} bytes still used`
  );
}
