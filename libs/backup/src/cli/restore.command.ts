import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { Inject, Logger, Optional } from '@nestjs/common';
import { AUDIT_TRAIL, AuditRecorder } from '../audit/audit.hook';
import { EXIT_LOCKED, JobLock } from '../lock/job.lock';
import { removeRestoreDebris } from '../restore/debris';
import { temporaryFilesInFlight } from '../restore/files.restorer';
import { Command, CommandRunner, Option } from './command.decorators';
import { describeChecks } from '../restore/row-count.check';
import { RestoreService } from '../restore/restore.service';
import { ConfirmationQuestion, RestoreReport, RestoreRequest } from '../restore/restore.types';
import { exitOnSignals, StopSignal } from './signals';

interface RestoreFlags {
  latest?: boolean;
  disk?: string;
  onlyDb?: boolean;
  onlyFiles?: boolean;
  dbName?: string;
  toDatabase?: string;
  filesTo?: string;
  stripPrefix?: string;
  dryRun?: boolean;
  force?: boolean;
  /** commander turns --no-safety-backup into safetyBackup: false. */
  safetyBackup?: boolean;
  keepOld?: boolean;
  allowUnencrypted?: boolean;
  allowOtherApp?: boolean;
  allowOtherEngine?: boolean;
  json?: boolean;
}

/** `backup:restore`: parse flags, ask for confirmation on a terminal, call RestoreService, print. */
@Command({
  name: 'backup:restore',
  arguments: '[backup]',
  description: 'Verify a backup, then restore its databases and files',
  argsDescription: { backup: 'File name (2026-11-21-02-00-00.zip) or key (<app>/2026-...zip) of the backup' },
})
export class RestoreCommand extends CommandRunner {
  constructor(
    private readonly restores: RestoreService,
    private readonly jobLock: JobLock,
    @Optional() @Inject(AUDIT_TRAIL) private readonly audit?: AuditRecorder,
  ) {
    super();
  }

  async run(params: string[], flags: RestoreFlags = {}): Promise<void> {
    const log = (m: string) => process.stderr.write(`${m}\n`);
    // --json keeps stdout machine-readable: Nest's log lines during the command are dropped (warnings and errors stay).
    if (flags.json) Logger.overrideLogger(['warn', 'error']);
    const startedAt = new Date();
    let locked = false;
    const signals = exitOnSignals((sig) => this.interrupted(sig, startedAt, locked, params[0] ?? null, flags.disk ?? null));
    try {
      const request: RestoreRequest = {
        name: params[0],
        latest: flags.latest,
        disk: flags.disk,
        onlyDb: flags.onlyDb,
        onlyFiles: flags.onlyFiles,
        dbName: flags.dbName,
        toDatabase: flags.toDatabase,
        filesTo: flags.filesTo,
        stripPrefix: flags.stripPrefix,
        dryRun: flags.dryRun,
        force: flags.force,
        noSafetyBackup: flags.safetyBackup === false,
        keepReplaced: flags.keepOld,
        allowUnencrypted: flags.allowUnencrypted,
        allowOtherApp: flags.allowOtherApp,
        allowOtherEngine: flags.allowOtherEngine,
        // Only a person at a terminal can confirm; elsewhere --force is required.
        confirm: process.stdin.isTTY && !flags.json ? askToConfirm : undefined,
        onStep: flags.json ? () => undefined : log,
      };
      // The cluster lock of backup:run, for the whole restore: no backup (whose clean-up would
      // take the safety backup's temporary file) and no other restore runs meanwhile. Holding
      // it also means whatever an earlier restore left behind is a dead one's: removed here.
      const outcome = flags.dryRun
        ? { ran: true as const, value: await this.restores.restore(request) }
        : await this.jobLock.exclusive('run', (held, stillHeld) => {
            locked = held;
            // A PostgreSQL swap ends the lock's session too: it is taken again before the files change.
            const afterSwap = held ? async () => void (await stillHeld()) : undefined;
            return this.restores.restore({ ...request, removeDebris: held, afterSwap });
          });
      if (!outcome.ran) {
        process.stderr.write(
          `Restore not started: another backup or restore is running (${outcome.reason}). Try again when it has finished.\n`,
        );
        process.exitCode = EXIT_LOCKED;
        return;
      }
      const report = outcome.value;
      process.stdout.write(flags.json ? JSON.stringify(report, null, 2) + '\n' : printable(report));
      if (!report.ok) process.exitCode = 1;
    } catch (err) {
      // Stopped by a signal: the handler says what happened and exits; this failure is its echo.
      if (signals.stopping) await signals.stopping;
      if (!flags.json) throw err;
      process.stdout.write(JSON.stringify({ ok: false, error: err instanceof Error ? err.message : String(err) }, null, 2) + '\n');
      process.exitCode = 1;
    } finally {
      signals.dispose();
    }
  }

  /** SIGTERM/SIGINT: say what is live, stop before the next live change, clean up, audit. */
  private async interrupted(
    sig: StopSignal,
    startedAt: Date,
    locked: boolean,
    backupName: string | null,
    disk: string | null,
  ): Promise<void> {
    const progress = this.restores.progress;
    progress.stopped = sig;
    const state = progress.describe();
    process.stderr.write(`\nRestore interrupted by ${sig}; ${state}\n`);
    for (const temp of temporaryFilesInFlight) rmSync(temp, { force: true });
    // Staging copies are dropped unless a swap is under way (it finishes or rolls back alone).
    if (locked && progress.debris) {
      const removed = await removeRestoreDebris(progress.debris, { databases: ['checking', 'staging'].includes(progress.phase) });
      for (const line of removed) process.stderr.write(`Removed ${line}.\n`);
    }
    await this.audit
      ?.record({
        operation: 'restore',
        startedAt,
        finishedAt: new Date(),
        outcome: 'failure',
        destination: disk,
        backupName,
        error: `Interrupted by ${sig}; ${state}`,
      })
      .catch(() => undefined);
  }

  @Option({ flags: '--latest', description: 'Restore the newest backup' })
  parseLatest(): boolean {
    return true;
  }

  @Option({ flags: '--disk <name>', description: 'Disk to read the backup from (default: the first of BACKUP_DISKS)' })
  parseDisk(value: string): string {
    return value;
  }

  @Option({ flags: '--only-db', description: 'Restore the databases only' })
  parseOnlyDb(): boolean {
    return true;
  }

  @Option({ flags: '--only-files', description: 'Restore the files only' })
  parseOnlyFiles(): boolean {
    return true;
  }

  @Option({ flags: '--db-name <connection>', description: 'Restore the dump of this connection (DataSource name)' })
  parseDbName(value: string): string {
    return value;
  }

  @Option({ flags: '--to-database <name>', description: 'Load into this database (created if missing) instead of the configured one' })
  parseToDatabase(value: string): string {
    return value;
  }

  @Option({ flags: '--files-to <dir>', description: 'Write the files under this folder instead of their original paths' })
  parseFilesTo(value: string): string {
    return value;
  }

  @Option({
    flags: '--strip-prefix <path>',
    description:
      'Archive without manifest.json (spatie/laravel-backup): the path prefix to cut off its files, e.g. var/www/app/ (default: detected)',
  })
  parseStripPrefix(value: string): string {
    return value;
  }

  @Option({ flags: '--dry-run', description: 'Show what would be restored and change nothing' })
  parseDryRun(): boolean {
    return true;
  }

  @Option({ flags: '--force', description: 'Overwrite the configured database and files without asking' })
  parseForce(): boolean {
    return true;
  }

  @Option({ flags: '--no-safety-backup', description: 'Do not back up the current state before overwriting it' })
  parseNoSafetyBackup(): boolean {
    return false;
  }

  @Option({ flags: '--keep-old', description: 'Keep the replaced database as <db>_old_<hex> instead of dropping it' })
  parseKeepOld(): boolean {
    return true;
  }

  @Option({
    flags: '--allow-unencrypted',
    description: 'Also read an archive not encrypted with the backup password (a warning is printed)',
  })
  parseAllowUnencrypted(): boolean {
    return true;
  }

  @Option({ flags: '--allow-other-app', description: 'Restore an archive whose manifest names another app than BACKUP_NAME' })
  parseAllowOtherApp(): boolean {
    return true;
  }

  @Option({
    flags: '--allow-other-engine',
    description: "Go on when a dump's database engine has no connection here (that dump is skipped)",
  })
  parseAllowOtherEngine(): boolean {
    return true;
  }

  @Option({ flags: '--json', description: 'Print the report as JSON' })
  parseJson(): boolean {
    return true;
  }
}

/** The operator types the database name (or "restore") to go on. */
async function askToConfirm(q: ConfirmationQuestion): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const what = [...q.databases.map((d) => `  database ${d}`), ...(q.filesRoot ? [`  files under ${q.filesRoot}`] : [])];
    process.stderr.write(`This restore REPLACES:\n${what.join('\n')}\n`);
    const answer = await rl.question(`Type "${q.expected}" to continue: `);
    return answer.trim() === q.expected;
  } finally {
    rl.close();
  }
}

function printable(r: RestoreReport): string {
  const lines = [
    `Backup ${r.backup} on ${r.disk} (made ${r.backupCreatedAt}) verified: ${r.verified.entries} entries, ${r.verified.bytes} bytes.`,
  ];
  for (const u of r.unchecked ?? []) lines.push(`Not checked: ${u}.`);
  if (r.dryRun) lines.push('Dry run: nothing was changed. Would restore:');
  for (const d of r.databases) {
    lines.push(`${d.driver} ${d.entry} → "${d.targetDatabase}"${d.inPlace ? ' (replaces the configured database)' : ''}`);
    if (r.dryRun && d.noRowCounts) lines.push('    (the archive records no row counts)');
    else if (r.dryRun) for (const [t, n] of Object.entries(d.tables)) lines.push(`    ${t}: ${n} row(s)`);
    else lines.push(...describeChecks(d.checks).map((l) => `    ${l}`));
  }
  for (const s of r.skippedDumps) lines.push(`skipped ${s.entry}: ${s.reason}`);
  if (r.files) {
    const stripped = r.files.strippedPrefix?.prefix ? ` (prefix "${r.files.strippedPrefix.prefix}" cut off)` : '';
    lines.push(`${r.files.count} file(s), ${r.files.bytes} bytes → ${r.files.target}${stripped}`);
  }
  if (r.safetyBackup) lines.push(`Safety backup of the previous state: ${r.safetyBackup} on ${r.disk}`);
  if (!r.dryRun) {
    const unrecorded = r.layout === 'spatie' || r.databases.some((d) => d.noRowCounts);
    lines.push(
      !r.ok
        ? 'Restore FINISHED WITH MISMATCHES: see ✘ above.'
        : unrecorded
          ? `Restore completed; the archive records no row counts${r.databases.length ? ', so the rows loaded are listed above, not compared' : ''}.`
          : 'Restore completed; every row count matches the manifest.',
    );
    lines.push(`Measured recovery time: ${(r.durationMs / 1000).toFixed(1)} s.`);
  }
  return lines.join('\n') + '\n';
}
