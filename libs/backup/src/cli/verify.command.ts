import { Inject, Logger, Optional } from '@nestjs/common';
import { AUDIT_TRAIL, AuditRecorder } from '../audit/audit.hook';
import { scratchesInUse, verifyInterruption } from '../verify/scratch.database';
import { exitOnSignals, StopSignal } from './signals';
import { Command, CommandRunner, Option } from './command.decorators';
import { VerifyResult } from '../verify/verify.events';
import { VerifyService } from '../verify/verify.service';

interface VerifyFlags {
  latest?: boolean;
  all?: boolean;
  disk?: string;
  testRestore?: boolean;
  allowUnencrypted?: boolean;
  json?: boolean;
}

/** `backup:verify`: check backups where they are stored; exit code 0 only when all pass. */
@Command({
  name: 'backup:verify',
  arguments: '[backup]',
  description: 'Verify backups (every entry, and with --test-restore a load into a scratch database)',
  argsDescription: { backup: 'File name or key of the backup (default: the newest)' },
})
export class VerifyCommand extends CommandRunner {
  constructor(
    private readonly verifier: VerifyService,
    @Optional() @Inject(AUDIT_TRAIL) private readonly audit?: AuditRecorder,
  ) {
    super();
  }

  async run(params: string[], flags: VerifyFlags = {}): Promise<void> {
    // --json keeps stdout machine-readable: Nest's log lines during the command are dropped (warnings and errors stay).
    if (flags.json) Logger.overrideLogger(['warn', 'error']);
    const startedAt = new Date();
    const signals = exitOnSignals((sig) => this.interrupted(sig, startedAt, params[0] ?? null, flags.disk ?? null));
    try {
      const result = await this.verifier.verify({
        name: params[0],
        latest: flags.latest,
        all: flags.all,
        disk: flags.disk,
        testRestore: flags.testRestore,
        allowUnencrypted: flags.allowUnencrypted,
      });
      process.stdout.write(flags.json ? JSON.stringify(result, null, 2) + '\n' : printable(result));
      if (!result.ok) process.exitCode = 1;
    } catch (err) {
      if (signals.stopping) await signals.stopping;
      if (!flags.json) throw err;
      process.stdout.write(JSON.stringify({ ok: false, error: err instanceof Error ? err.message : String(err) }, null, 2) + '\n');
      process.exitCode = 1;
    } finally {
      signals.dispose();
    }
  }

  /** SIGTERM/SIGINT: a verify changes no live data; its scratch databases are dropped, the stop audited. */
  private async interrupted(sig: StopSignal, startedAt: Date, backupName: string | null, disk: string | null): Promise<void> {
    verifyInterruption.by = sig;
    const scratches = [...scratchesInUse];
    const state = `no live data is changed by a verify${scratches.length ? '; dropping its scratch database(s)' : ''}.`;
    process.stderr.write(`\nVerify interrupted by ${sig}; ${state}\n`);
    for (const scratch of scratches) {
      const dropped = await scratch.drop().catch(() => false);
      process.stderr.write(
        dropped
          ? `Dropped ${scratch.connection.database}.\n`
          : `Could not drop ${scratch.connection.database}: the next backup:verify --test-restore removes it.\n`,
      );
    }
    await this.audit
      ?.record({
        operation: 'verify',
        startedAt,
        finishedAt: new Date(),
        outcome: 'failure',
        destination: disk,
        backupName,
        error: `Interrupted by ${sig}; ${state}`,
      })
      .catch(() => undefined);
  }

  @Option({ flags: '--latest', description: 'Verify the newest backup (the default)' })
  parseLatest(): boolean {
    return true;
  }

  @Option({ flags: '--all', description: 'Verify every backup on the disk' })
  parseAll(): boolean {
    return true;
  }

  @Option({ flags: '--disk <name>', description: 'Disk to read from (default: the first of BACKUP_DISKS)' })
  parseDisk(value: string): string {
    return value;
  }

  @Option({ flags: '--test-restore', description: 'Load the dumps into scratch databases and compare row counts' })
  parseTestRestore(): boolean {
    return true;
  }

  @Option({ flags: '--allow-unencrypted', description: 'Also read archives not encrypted with the backup password (a warning is printed)' })
  parseAllowUnencrypted(): boolean {
    return true;
  }

  @Option({ flags: '--json', description: 'Print the result as JSON' })
  parseJson(): boolean {
    return true;
  }
}

function printable(r: VerifyResult): string {
  const lines: string[] = [];
  for (const b of r.backups) {
    lines.push(
      `${b.ok ? '✔' : '✘'} ${b.backupName} on ${b.destination}: ${b.entriesChecked} entries, ${b.bytesChecked} bytes checked in ${b.integrityMs} ms`,
    );
    if (b.warning) lines.push(`    ${b.warning}`);
    for (const u of b.unchecked ?? []) lines.push(`    not checked: ${u}`);
    if (b.error) lines.push(`    ${b.error.split('\n').join('\n    ')}`);
    for (const f of b.faults) lines.push(`    fault: ${f.message}`);
    for (const t of b.testRestore ?? []) {
      lines.push(
        `    test restore ${t.driver} "${t.database}" into ${t.scratchDatabase} (${t.scratchDropped ? 'dropped' : 'NOT dropped'}) in ${t.durationMs} ms: ${!t.ok ? 'FAILED' : t.tables.some((x) => x.expected === null) ? 'loaded, no recorded row counts to compare' : 'rows match'}`,
      );
      if (t.error) lines.push(`        ${t.error}`);
      for (const c of t.tables.filter((x) => !x.ok))
        lines.push(`        ✘ ${c.table}: ${c.actual ?? 'missing'} row(s), manifest ${c.expected ?? 'none'}`);
      // Nothing recorded to compare with (spatie/laravel-backup): what was loaded is the finding.
      for (const c of t.tables.filter((x) => x.ok && x.expected === null)) lines.push(`        · ${c.table}: ${c.actual} row(s) loaded`);
    }
  }
  lines.push(
    r.ok
      ? `All ${r.backups.length} backup(s) verified.`
      : `Verification FAILED (${r.backups.filter((b) => !b.ok).length} of ${r.backups.length}).`,
  );
  return lines.join('\n') + '\n';
}
