import { Command, CommandRunner, Option } from './command.decorators';
import { TenantExportService } from '../tenant/export/tenant-export.service';
import { EXPORT_PASSWORD_ENV, exportPassword, ExportPasswordFlags } from './export-password';

export { exportPassword } from './export-password';

interface TenantExportFlags extends ExportPasswordFlags {
  disk?: string;
  json?: boolean;
}

/**
 * `backup:tenant-export <tenantId>`. A password of the export's own comes from
 * BACKUP_TENANT_EXPORT_PASSWORD, `--password-env <VAR>` or a hidden prompt (`--password`
 * alone); never from the command line, where `ps` and the shell history would show it.
 */
@Command({
  name: 'backup:tenant-export',
  arguments: '<tenantId>',
  description: "Export one tenant's rows and files to an encrypted archive",
})
export class TenantExportCommand extends CommandRunner {
  constructor(private readonly exports: TenantExportService) {
    super();
  }

  async run(params: string[], flags: TenantExportFlags = {}): Promise<void> {
    const report = await this.exports.export({
      tenantId: params[0],
      disk: flags.disk,
      password: await exportPassword(flags),
      onStep: flags.json ? () => undefined : (m) => process.stderr.write(`${m}\n`),
    });
    if (flags.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else {
      const rows = Object.entries(report.tables)
        .map(([t, n]) => `  ${t}: ${n} row(s)`)
        .join('\n');
      process.stdout.write(
        `Tenant ${report.tenantId} exported to ${report.disk}: ${report.key} (${report.bytes} bytes${report.encrypted ? ', AES-256' : ''})\n${rows}\n  files: ${report.files}\n`,
      );
    }
  }

  @Option({ flags: '--disk <name>', description: 'Disk to store the export on (default: the first of BACKUP_DISKS)' })
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

  @Option({ flags: '--password-env <VAR>', description: 'Encrypt with the password in this environment variable' })
  parsePasswordEnv(value: string): string {
    return value;
  }

  @Option({ flags: '--json', description: 'Print the report as JSON' })
  parseJson(): boolean {
    return true;
  }
}
