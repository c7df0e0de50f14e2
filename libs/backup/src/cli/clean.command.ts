import { Inject } from '@nestjs/common';
import { Command, CommandRunner, Option } from './command.decorators';
import { BACKUP_OPTIONS } from '../config/backup-options.token';
import { parseAttemptOption } from '../backup/retry';
import { BackupModuleOptions } from '../config/backup-options.interface';
import { EXIT_LOCKED, JobLock } from '../lock/job.lock';
import { cleanWithRetries } from '../schedule/cleanup-attempts';
import { CleanupService } from '../cleanup/cleanup.service';
import { CleanupReport } from '../cleanup/cleanup.types';
import { formatBytes } from '../listing/size.format';
import { strangerLines } from '../listing/strangers.render';

interface CleanFlags {
  dryRun?: boolean;
  disableNotifications?: boolean;
  json?: boolean;
  tries?: number;
  retryDelay?: number;
}

/** `backup:clean`: apply the retention plan to every backup disk and say what went and why. */
@Command({ name: 'backup:clean', description: 'Delete the backups the retention policy no longer keeps' })
export class CleanCommand extends CommandRunner {
  constructor(
    private readonly cleanup: CleanupService,
    private readonly jobLock: JobLock,
    @Inject(BACKUP_OPTIONS) private readonly options: BackupModuleOptions,
  ) {
    super();
  }

  async run(_params: string[], flags: CleanFlags = {}): Promise<void> {
    // Retries (--tries/--retry-delay) and the same lock as the scheduled cleanup (--isolated).
    const defaults = this.options.attempts;
    const policy = {
      tries: flags.tries ?? defaults?.tries ?? 1,
      retryDelayMs: flags.retryDelay !== undefined ? flags.retryDelay * 1000 : (defaults?.retryDelayMs ?? 60_000),
    };
    const request = { dryRun: flags.dryRun, disableNotifications: flags.disableNotifications };
    const outcome = await this.jobLock.exclusive('clean', () =>
      cleanWithRetries(this.cleanup, request, policy, (line) => process.stderr.write(line + '\n')),
    );
    if (!outcome.ran) {
      process.stderr.write(`Cleanup not started: ${outcome.reason}. Try again when it has finished.\n`);
      process.exitCode = EXIT_LOCKED;
      return;
    }
    const report = outcome.value;
    process.stdout.write((flags.json ? JSON.stringify(report, null, 2) : renderCleanup(report)) + '\n');
    if (!report.ok) process.exitCode = 1;
  }

  @Option({ flags: '--dry-run', description: 'Show what would be deleted, delete nothing' })
  parseDryRun(): boolean {
    return true;
  }

  @Option({ flags: '--disable-notifications', description: 'Send no notification for this cleanup' })
  parseDisableNotifications(): boolean {
    return true;
  }

  @Option({ flags: '--json', description: 'Print JSON for scripts' })
  parseJson(): boolean {
    return true;
  }

  @Option({ flags: '--tries <n>', description: 'Attempts in all before giving up (default BACKUP_TRIES, 1)' })
  parseTries(value: string): number {
    return parseAttemptOption('--tries', value);
  }

  @Option({ flags: '--retry-delay <seconds>', description: 'Pause between attempts (default BACKUP_RETRY_DELAY, 60)' })
  parseRetryDelay(value: string): number {
    return parseAttemptOption('--retry-delay', value, 0);
  }
}

export function renderCleanup(report: CleanupReport): string {
  const verb = report.dryRun ? 'would delete' : 'deleted';
  const lines: string[] = [];
  if (report.dryRun) lines.push('Dry run: nothing is deleted.');
  for (const d of report.destinations) {
    if (d.error) {
      lines.push(`✘ ${d.destination}: cleanup failed: ${d.error}`);
      continue;
    }
    lines.push(`${d.destination} (${d.description}): ${d.countBefore} backup(s), ${formatBytes(d.usedBytesBefore)}`);
    for (const x of d.deleted) lines.push(`  ${verb} ${x.key} (${formatBytes(x.size)}): ${x.reason}`);
    for (const f of d.failed) lines.push(`  ✘ could not delete ${f.key}: ${f.error} (planned because: ${f.reason})`);
    if (d.leftAlone?.length) lines.push(...strangerLines(d.leftAlone, '  left alone, not a backup: '));
    const freed = d.usedBytesBefore - d.usedBytesAfter;
    lines.push(
      `${d.ok ? '✔' : '✘'} ${d.destination}: ${verb} ${d.deleted.length} backup(s), ${formatBytes(freed)}` +
        (d.failed.length ? `; ${d.failed.length} deletion(s) FAILED` : '') +
        `; ${d.countAfter} backup(s) ${report.dryRun ? 'would remain' : 'remain'}, using ${formatBytes(d.usedBytesAfter)}.`,
    );
  }
  if (report.destinations.length === 0) lines.push('No disk to clean: set BACKUP_DISKS.');
  return lines.join('\n');
}
