import { Command, CommandRunner, Option } from './command.decorators';
import { HealthMonitor } from '../health/health.monitor';
import { HealthReport } from '../health/health.types';
import { formatAge } from '../listing/age.format';
import { formatBytes } from '../listing/size.format';
import { strangerLines } from '../listing/strangers.render';

interface MonitorFlags {
  json?: boolean;
  disableNotifications?: boolean;
}

/** `backup:monitor`: every monitored disk healthy or not, with each failed check; exit 1 when any is not. */
@Command({ name: 'backup:monitor', description: 'Check that the backups exist, are fresh and fit the storage budget; exit 1 if not' })
export class MonitorCommand extends CommandRunner {
  constructor(private readonly monitor: HealthMonitor) {
    super();
  }

  async run(_params: string[], flags: MonitorFlags = {}): Promise<void> {
    const now = new Date();
    const report = await this.monitor.monitor({ now, disableNotifications: flags.disableNotifications });
    process.stdout.write((flags.json ? JSON.stringify(report, null, 2) : renderMonitor(report, now)) + '\n');
    if (!report.healthy) process.exitCode = 1;
  }

  @Option({ flags: '--json', description: 'Print JSON for scripts' })
  parseJson(): boolean {
    return true;
  }

  @Option({ flags: '--disable-notifications', description: 'Send no notification for this check' })
  parseDisableNotifications(): boolean {
    return true;
  }
}

export function renderMonitor(report: HealthReport, now: Date): string {
  const lines: string[] = [];
  for (const d of report.destinations) {
    if (d.healthy) {
      const newest = d.newest ? `newest ${formatAge(d.newest.date, now)}` : 'no backups';
      lines.push(`✔ ${d.destination}: healthy (${d.count} backup(s), ${newest}, ${formatBytes(d.usedBytes)})`);
    } else {
      lines.push(`✘ ${d.destination}: ${d.reachable ? 'unhealthy' : 'unreachable'}`);
      for (const f of d.failures) lines.push(`    - ${f.check}: ${f.message}`);
      if (d.skipped.length) lines.push(`    (skipped: ${d.skipped.join(', ')})`);
    }
    // Too-small objects do not make a disk unhealthy, but are named so a person can look.
    const foreign = (d.strangers ?? []).filter((s) => s.kind === 'foreign');
    if (foreign.length) lines.push(`    not counted as backups (left alone):`, ...strangerLines(foreign, '    ? '));
    for (const w of d.warnings ?? []) lines.push(`    ! ${w}`);
  }
  if (report.destinations.length === 0) lines.push('No disk to monitor: set BACKUP_MONITOR_DISKS or BACKUP_DISKS.');
  const bad = report.destinations.filter((d) => !d.healthy).length;
  lines.push(bad ? `${bad} of ${report.destinations.length} disk(s) unhealthy.` : `All ${report.destinations.length} disk(s) healthy.`);
  return lines.join('\n');
}
