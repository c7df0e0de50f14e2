import { Command, CommandRunner, Option } from 'nest-commander';
import { BackupError } from '../common/backup.error';
import { TenantExportService } from '../tenant/tenant-export.service';

interface TenantExportFlags {
  disk?: string;
  password?: string;
  passwordEnv?: string;
  json?: boolean;
}

/**
 * `backup:tenant-export <tenantId>`. A password of the export's own comes from `--password-env
 * <VAR>` (preferred: a value on the command line is visible in `ps` and shell history) or
 * `--password`.
 */
@Command({ name: 'backup:tenant-export', arguments: '<tenantId>', description: "Export one tenant's rows and files to an encrypted archive" })
export class TenantExportCommand extends CommandRunner {
  constructor(private readonly exports: TenantExportService) {
    super();
  }

  async run(params: string[], flags: TenantExportFlags = {}): Promise<void> {
    const report = await this.exports.export({
      tenantId: params[0],
      disk: flags.disk,
      password: exportPassword(flags),
      onStep: flags.json ? () => undefined : (m) => process.stderr.write(`${m}\n`),
    });
    if (flags.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else {
      const rows = Object.entries(report.tables).map(([t, n]) => `  ${t}: ${n} row(s)`).join('\n');
      process.stdout.write(`Tenant ${report.tenantId} exported to ${report.disk}: ${report.key} (${report.bytes} bytes${report.encrypted ? ', AES-256' : ''})\n${rows}\n  files: ${report.files}\n`);
    }
  }

  @Option({ flags: '--disk <name>', description: 'Disk to store the export on (default: the first of BACKUP_DISKS)' })
  parseDisk(value: string): string {
    return value;
  }

  @Option({ flags: '--password <password>', description: 'Encrypt with this password (visible in ps; prefer --password-env)' })
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

/** The export's own password, if any; 32+ characters like the archive password. */
export function exportPassword(flags: { password?: string; passwordEnv?: string }, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (flags.password && flags.passwordEnv) throw new BackupError('Both --password and --password-env were given', 'Pass one of them.');
  let password = flags.password;
  if (flags.passwordEnv) {
    password = env[flags.passwordEnv];
    if (!password) throw new BackupError(`The environment variable ${flags.passwordEnv} named by --password-env is empty or unset`, 'Export it first.');
  }
  if (password !== undefined && password.length < 32) {
    throw new BackupError('The export password is shorter than 32 characters', 'Use a longer one (a random 32+ character string).');
  }
  return password;
}
