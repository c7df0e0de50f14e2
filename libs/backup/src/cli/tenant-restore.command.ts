import { createInterface } from 'node:readline/promises';
import { Command, CommandRunner, Option } from './command.decorators';
import { TenantRestoreService } from '../tenant/restore/tenant-restore.service';
import { TenantRestoreReport } from '../tenant/restore/tenant-restore.types';
import { EXPORT_PASSWORD_ENV, exportPassword } from './export-password';

interface TenantRestoreFlags {
  fromExport?: string;
  fromBackup?: string;
  disk?: string;
  password?: string | boolean;
  passwordEnv?: string;
  dryRun?: boolean;
  force?: boolean;
  safetyExport?: boolean;
  allowUnencrypted?: boolean;
  allowOtherApp?: boolean;
  json?: boolean;
}

/** `backup:tenant-restore <tenantId> (--from-export <name> | --from-backup <name>)`: parse, confirm, restore, print. */
@Command({
  name: 'backup:tenant-restore',
  arguments: '<tenantId>',
  description: "Replace one tenant's rows and files with those of an export or a full backup",
})
export class TenantRestoreCommand extends CommandRunner {
  constructor(private readonly restores: TenantRestoreService) {
    super();
  }

  async run(params: string[], flags: TenantRestoreFlags = {}): Promise<void> {
    const report = await this.restores.restore({
      tenantId: params[0],
      fromExport: flags.fromExport,
      fromBackup: flags.fromBackup,
      disk: flags.disk,
      password: await exportPassword(flags),
      dryRun: flags.dryRun,
      force: flags.force,
      noSafetyExport: flags.safetyExport === false,
      allowUnencrypted: flags.allowUnencrypted,
      allowOtherApp: flags.allowOtherApp,
      confirm: process.stdin.isTTY && !flags.json ? ask : undefined,
      onStep: flags.json ? () => undefined : (m) => process.stderr.write(`${m}\n`),
    });
    process.stdout.write(flags.json ? JSON.stringify(report, null, 2) + '\n' : printable(report));
  }

  @Option({ flags: '--from-export <name>', description: 'A tenant export (file name, key or "latest")' })
  parseFromExport(value: string): string {
    return value;
  }

  @Option({ flags: '--from-backup <name>', description: 'A full backup (file name, key or "latest")' })
  parseFromBackup(value: string): string {
    return value;
  }

  @Option({ flags: '--disk <name>', description: 'Disk to read from (default: the first of BACKUP_DISKS)' })
  parseDisk(value: string): string {
    return value;
  }

  @Option({
    flags: '--password [refused]',
    description: `Ask on the terminal for the export's own password (a value here is refused: set ${EXPORT_PASSWORD_ENV} instead)`,
  })
  parsePassword(value: string): string {
    return value;
  }

  @Option({ flags: '--password-env <VAR>', description: "The export's own password, from this environment variable" })
  parsePasswordEnv(value: string): string {
    return value;
  }

  @Option({ flags: '--dry-run', description: 'Print per table the rows that would be deleted and inserted; change nothing' })
  parseDryRun(): boolean {
    return true;
  }

  @Option({ flags: '--force', description: "Replace the tenant's current rows without asking" })
  parseForce(): boolean {
    return true;
  }

  @Option({ flags: '--no-safety-export', description: "Do not export the tenant's current state first" })
  parseNoSafetyExport(): boolean {
    return false;
  }

  @Option({ flags: '--allow-unencrypted', description: 'Also read an archive not encrypted with the password (a warning is printed)' })
  parseAllowUnencrypted(): boolean {
    return true;
  }

  @Option({ flags: '--allow-other-app', description: 'Restore from an archive whose manifest names another app than BACKUP_NAME' })
  parseAllowOtherApp(): boolean {
    return true;
  }

  @Option({ flags: '--json', description: 'Print the report as JSON' })
  parseJson(): boolean {
    return true;
  }
}

async function ask(q: { tenantId: string; rows: number }): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(
      `This replaces the ${q.rows} current row(s) of tenant ${q.tenantId}. Type "${q.tenantId}" to continue: `,
    );
    return answer.trim() === q.tenantId;
  } finally {
    rl.close();
  }
}

function printable(r: TenantRestoreReport): string {
  const lines = [
    `Tenant ${r.tenantId} from the ${r.source.kind} ${r.source.key} on ${r.source.disk}${r.dryRun ? ' (dry run: nothing was changed)' : ''}:`,
  ];
  for (const t of r.tables)
    lines.push(`  ${t.table}: ${r.dryRun ? 'would delete' : 'deleted'} ${t.delete}, ${r.dryRun ? 'insert' : 'inserted'} ${t.insert}`);
  lines.push(`  files: ${r.files.write} written, ${r.files.delete} removed`);
  if (r.safetyExport) lines.push(`Safety export of the previous state: ${r.safetyExport}`);
  if (!r.dryRun) lines.push(`Done in ${(r.durationMs / 1000).toFixed(1)} s.`);
  return lines.join('\n') + '\n';
}
