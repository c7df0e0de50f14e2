import { Command, CommandRunner, Option } from './command.decorators';
import { BackupService } from '../backup/backup.service';
import { RunReport } from '../backup/backup-run.types';
import { abortOnSignals, parseAttemptOption, SIGNAL_EXIT_CODES } from '../backup/retry';
import { BackupError } from '../common/backup.error';
import { EXIT_LOCKED, JobLock } from '../lock/job.lock';
import { EACH_TENANT_JOB, TenantRunJob, TenantRunResult, tenantRunLine } from '../tenant/export/each-tenant';
import { BackupQueue, QueuedJob } from '../queue/backup.queue';
import { QUEUE_URL_ENV } from '../queue/queue.settings';
import { TenantExportService } from '../tenant/export/tenant-export.service';
import { describeRange, NumericRange, NUMERIC_RANGES } from '../config/numeric.ranges';
import { collect } from './options';
import { Progress } from './progress';

interface RunFlags {
  onlyDb?: boolean;
  onlyFiles?: boolean;
  dbName?: string[];
  onlyToDisk?: string;
  filename?: string;
  overwrite?: boolean;
  exclude?: string[];
  disableNotifications?: boolean;
  tries?: number;
  retryDelay?: number;
  timeout?: number;
  eachTenant?: boolean;
  /** commander turns --no-wait into wait: false. */
  wait?: boolean;
}

/** `backup:run`: parse flags, call BackupService.run, print the outcome per destination. */
@Command({ name: 'backup:run', description: 'Back up the databases and files to every configured disk' })
export class RunCommand extends CommandRunner {
  constructor(
    private readonly backups: BackupService,
    private readonly jobLock: JobLock,
    private readonly tenantExports: TenantExportService,
    private readonly queue: BackupQueue,
  ) {
    super();
  }

  async run(_params: string[], flags: RunFlags = {}): Promise<void> {
    if (flags.wait === false && !(flags.eachTenant && this.queue.configured)) {
      throw new BackupError(
        '--no-wait only applies to backup:run --each-tenant with the shared queue',
        `Set ${QUEUE_URL_ENV} and add --each-tenant, or leave out --no-wait.`,
      );
    }
    if (flags.eachTenant) return this.runEachTenant(flags);
    const progress = new Progress();
    // SIGTERM/SIGINT stop the run cleanly (tools killed, uploads aborted, failure event sent).
    const controller = new AbortController();
    const signals = abortOnSignals(controller, (sig) => process.stderr.write(`\n${sig} received: stopping the backup…\n`));
    // The same lock as the scheduled run (spatie's --isolated): never two backups at once.
    const outcome = await this.jobLock
      .exclusive('run', (locked) =>
        this.backups.run({
          signal: controller.signal,
          sweepTemporaryFiles: locked,
          tries: flags.tries,
          retryDelayMs: flags.retryDelay === undefined ? undefined : flags.retryDelay * 1000,
          timeoutMs: flags.timeout === undefined ? undefined : flags.timeout * 1000,
          onlyDb: flags.onlyDb,
          onlyFiles: flags.onlyFiles,
          dbNames: flags.dbName,
          onlyToDisk: flags.onlyToDisk,
          filename: flags.filename,
          overwrite: flags.overwrite,
          exclude: flags.exclude,
          disableNotifications: flags.disableNotifications,
          callerReportsOutcome: true,
          onProgress: (bytes, uploaded) => progress.update(bytes, uploaded),
        }),
      )
      .finally(() => signals.dispose());
    progress.done();
    if (!outcome.ran) {
      process.stderr.write(`Backup not started: ${outcome.reason}. It is running elsewhere; try again when it has finished.\n`);
      process.exitCode = EXIT_LOCKED;
      return;
    }
    printReport(outcome.value);
    if (!outcome.value.ok) process.exitCode = signals.received ? SIGNAL_EXIT_CODES[signals.received] : 1;
  }

  /** `--each-tenant`: one export per tenant, retention per tenant folder; one line per tenant. */
  private async runEachTenant(flags: RunFlags): Promise<void> {
    const clashing = (
      ['onlyDb', 'onlyFiles', 'dbName', 'filename', 'overwrite', 'exclude', 'tries', 'retryDelay', 'timeout'] as const
    ).filter((f) => flags[f] !== undefined);
    if (clashing.length) {
      throw new BackupError(
        `--each-tenant cannot be combined with ${clashing.map((f) => '--' + f.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())).join(', ')}`,
        'Run the full backup and the tenant exports as two commands.',
      );
    }
    if (this.queue.configured) return this.queueEachTenant(flags);
    const outcome = await this.jobLock.exclusive('run', () =>
      this.tenantExports.exportAll({
        disk: flags.onlyToDisk,
        disableNotifications: flags.disableNotifications,
        onTenant: (r) => (r.ok ? process.stdout : process.stderr).write(tenantRunLine(r) + '\n'),
      }),
    );
    if (!outcome.ran) {
      process.stderr.write(`Tenant exports not started: ${outcome.reason}. It is running elsewhere; try again when it has finished.\n`);
      process.exitCode = EXIT_LOCKED;
      return;
    }
    const { tenants, ok, disk } = outcome.value;
    const failed = tenants.filter((t) => !t.ok).length;
    (ok ? process.stdout : process.stderr).write(
      `${tenants.length - failed} of ${tenants.length} tenant(s) exported to ${disk}${failed ? `; ${failed} FAILED` : ''}.\n`,
    );
    if (!ok) process.exitCode = 1;
  }

  /**
   * `--each-tenant` with the shared queue: one job per tenant, run by the workers of every
   * instance, each retried on its own; waits for all and prints the totals (or, with --no-wait,
   * the job ids). Exit 1 when a tenant failed after its retries.
   */
  private async queueEachTenant(flags: RunFlags): Promise<void> {
    const disk = this.tenantExports.eachTenantDisk(flags.onlyToDisk);
    const tenantIds = await this.tenantExports.tenantIds();
    const now = new Date().toISOString();
    const jobs: Array<{ tenantId: string; id: string }> = [];
    for (const tenantId of tenantIds) {
      const job: TenantRunJob = { tenantId, disk, now, disableNotifications: flags.disableNotifications };
      jobs.push({ tenantId, id: await this.queue.add(EACH_TENANT_JOB, job) });
    }
    process.stdout.write(`${jobs.length} tenant export job(s) queued on ${this.queue.describe()}.\n`);
    if ((await this.queue.workerCount()) === 0) {
      process.stderr.write(
        'No worker is connected to the queue yet: the jobs wait until one starts (backup:worker, or an app instance with BackupAdminModule and the same BACKUP_QUEUE_REDIS_URL).\n',
      );
    }
    if (flags.wait === false) {
      for (const j of jobs) process.stdout.write(`tenant ${j.tenantId}: job ${j.id}\n`);
      return;
    }
    const finished = await this.queue.waitForAll(
      jobs.map((j) => j.id),
      (job) => {
        const r = queuedTenantResult(job);
        (r.ok ? process.stdout : process.stderr).write(`${tenantRunLine(r)} [job ${job.id}, ${job.processedBy ?? 'unknown worker'}]\n`);
      },
    );
    const failed = finished.map(queuedTenantResult).filter((r) => !r.ok).length;
    (failed ? process.stderr : process.stdout).write(
      `${jobs.length - failed} of ${jobs.length} tenant(s) exported to ${disk}${failed ? `; ${failed} FAILED` : ''}.\n`,
    );
    if (failed) process.exitCode = 1;
  }

  @Option({ flags: '--no-wait', description: 'With --each-tenant and the shared queue: queue the tenant jobs, print their ids and return' })
  parseNoWait(): boolean {
    return false;
  }

  @Option({ flags: '--each-tenant', description: 'Export every tenant to <BACKUP_NAME>/tenants/<id>/, retention per tenant' })
  parseEachTenant(): boolean {
    return true;
  }

  @Option({ flags: '--only-db', description: 'Only dump the databases' })
  parseOnlyDb(): boolean {
    return true;
  }

  @Option({ flags: '--only-files', description: 'Only archive the files' })
  parseOnlyFiles(): boolean {
    return true;
  }

  @Option({ flags: '--db-name <name>', description: 'Dump this DataSource (repeatable, comma list)' })
  parseDbName(value: string, previous?: string[]): string[] {
    return collect(value, previous);
  }

  @Option({ flags: '--only-to-disk <disk>', description: 'Write to this disk only' })
  parseOnlyToDisk(value: string): string {
    return value;
  }

  @Option({ flags: '--filename <name>', description: 'File name of the archive instead of the date' })
  parseFilename(value: string): string {
    return value;
  }

  @Option({ flags: '--overwrite', description: 'Replace an existing backup of the --filename name' })
  parseOverwrite(): boolean {
    return true;
  }

  @Option({ flags: '--exclude <paths>', description: 'Extra paths or globs to leave out (comma list)' })
  parseExclude(value: string, previous?: string[]): string[] {
    return collect(value, previous);
  }

  @Option({ flags: '--disable-notifications', description: 'Send no notification for this run' })
  parseDisableNotifications(): boolean {
    return true;
  }

  @Option({ flags: '--tries <n>', description: 'Attempts in all before giving up (default BACKUP_TRIES, 1)' })
  parseTries(value: string): number {
    return withinRange('--tries', parseAttemptOption('--tries', value), NUMERIC_RANGES.BACKUP_TRIES);
  }

  @Option({ flags: '--retry-delay <seconds>', description: 'Pause between attempts (default BACKUP_RETRY_DELAY, 60)' })
  parseRetryDelay(value: string): number {
    return withinRange('--retry-delay', parseAttemptOption('--retry-delay', value, 0), NUMERIC_RANGES.BACKUP_RETRY_DELAY);
  }

  @Option({ flags: '--timeout <seconds>', description: 'Stop an attempt that takes longer (default BACKUP_TIMEOUT, none)' })
  parseTimeout(value: string): number {
    return withinRange('--timeout', parseAttemptOption('--timeout', value), NUMERIC_RANGES.BACKUP_TIMEOUT);
  }
}

/** A finished tenant job as a tenant line: its result, or why its last attempt failed. */
function queuedTenantResult(job: QueuedJob): TenantRunResult {
  const outcome = job.returnValue as { result?: TenantRunResult } | null;
  if (job.state === 'completed' && outcome?.result) return outcome.result;
  const tenantId = (job.data as TenantRunJob).tenantId;
  return { tenantId, ok: false, deleted: [], error: `${job.failedReason ?? 'failed'} (after ${job.attemptsMade} attempt(s))` };
}

/** The flag's value within the range of the variable it stands in for (timers hold 2^31 - 1 ms). */
function withinRange(flag: string, value: number, range: NumericRange): number {
  if (value < range.min || value > range.max)
    throw new BackupError(`${flag} ${value} is out of range`, `Use a value ${describeRange(range)}.`);
  return value;
}

function printReport(report: RunReport): void {
  const lines: string[] = [];
  // Each cause once, with its hint: the run's error may only repeat the disks' own errors
  // ("No destination could be written (s3: …)"), and a disk stopped by the run's error carries it too.
  const failed = report.destinations.filter((d) => !d.ok);
  const repeatsDisks = failed.length > 0 && failed.every((d) => d.error && d.error !== report.error && report.error?.includes(d.error));
  const shown = !!report.error && !repeatsDisks;
  if (shown) lines.push(`Backup failed: ${report.error}`);
  for (const d of report.destinations) {
    if (d.ok) lines.push(`✔ ${d.disk}: ${d.key} (${d.sizeBytes} bytes)`);
    else lines.push(shown && d.error === report.error ? `✘ ${d.disk}: not stored (the failure above)` : `✘ ${d.disk}: ${d.error}`);
  }
  if (report.unreadableFiles.length) {
    lines.push(`! ${report.unreadableFiles.length} file(s) could not be read and are not in the archive:`);
    for (const f of report.unreadableFiles) lines.push(`    ${f.path}: ${f.error}`);
  }
  lines.push(
    report.ok
      ? `Backup completed in ${(report.durationMs / 1000).toFixed(1)} s: ${report.databases.length} database(s), ${report.files} file(s), ${report.archiveBytes} bytes.`
      : `Backup FAILED after ${(report.durationMs / 1000).toFixed(1)} s; nothing was kept on the disks marked ✘.`,
  );
  (report.ok ? process.stdout : process.stderr).write(lines.join('\n') + '\n');
}
