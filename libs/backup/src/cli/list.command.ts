import { Command, CommandRunner, Option } from './command.decorators';
import { HealthMonitor } from '../health/health.monitor';
import { DestinationHealth, HealthReport } from '../health/health.types';
import { formatAge } from '../listing/age.format';
import { formatBytes } from '../listing/size.format';
import { strangerLines, strangersJson } from '../listing/strangers.render';
import { renderTable } from '../listing/table.render';

interface ListFlags {
  json?: boolean;
}

export const LIST_HEADERS = ['Name', 'Disk', 'Reachable', 'Healthy', '# of backups', 'Newest backup', 'Used storage'];

/**
 * `backup:list`: one row per destination, the columns spatie/laravel-backup users know, then the
 * objects not counted as backups. Exits 1 when any disk could not be listed (the others are
 * still shown): a script must not read "0 backups" on a refused key as success.
 */
@Command({ name: 'backup:list', description: 'Show every backup disk: reachable, healthy, count, newest backup, storage used' })
export class ListCommand extends CommandRunner {
  constructor(private readonly monitor: HealthMonitor) {
    super();
  }

  async run(_params: string[], flags: ListFlags = {}): Promise<void> {
    const now = new Date();
    const report = await this.monitor.evaluate({ disks: this.monitor.listedDisks(), now });
    const appName = this.monitor.appName();
    process.stdout.write(
      (flags.json ? JSON.stringify(listingJson(appName, report, now), null, 2) : renderListing(appName, report, now)) + '\n',
    );
    const unlisted = report.destinations.filter((d) => !d.reachable);
    if (unlisted.length) {
      process.stderr.write(
        `${unlisted.length} of ${report.destinations.length} disk(s) could not be listed: ${unlisted.map((d) => d.destination).join(', ')}.\n`,
      );
      process.exitCode = 1;
    }
  }

  @Option({ flags: '--json', description: 'Print JSON for scripts instead of a table' })
  parseJson(): boolean {
    return true;
  }
}

/** The table, then the reason of every destination that is unreachable or unhealthy. */
export function renderListing(appName: string, report: HealthReport, now: Date): string {
  const rows = report.destinations.map((d) => [
    appName,
    d.destination,
    d.reachable ? '✅' : '❌',
    d.healthy ? '✅' : '❌',
    d.reachable ? d.count : '',
    d.newest ? formatAge(d.newest.date, now) : d.reachable ? 'No backups present' : '',
    d.reachable ? formatBytes(d.usedBytes) : '',
  ]);
  const lines = [renderTable(LIST_HEADERS, rows, { align: ['left', 'left', 'left', 'left', 'right', 'left', 'right'] })];
  for (const d of report.destinations.filter((x) => !x.healthy)) {
    lines.push(`${d.destination}: ${d.reachable ? 'unhealthy' : 'unreachable'}`);
    for (const f of d.failures) lines.push(`  - ${f.check}: ${f.message}`);
  }
  for (const d of report.destinations.filter((x) => x.strangers?.length)) {
    lines.push(`${d.destination}: not counted as backups (left alone):`);
    lines.push(...strangerLines(d.strangers, '  ? '));
  }
  for (const d of report.destinations) for (const w of d.warnings ?? []) lines.push(`${d.destination}: ${w}`);
  return lines.join('\n');
}

export function listingJson(appName: string, report: HealthReport, now: Date) {
  return report.destinations.map((d: DestinationHealth) => ({
    name: appName,
    disk: d.destination,
    description: d.description,
    reachable: d.reachable,
    healthy: d.healthy,
    count: d.count,
    newestBackup: d.newest?.key ?? null,
    newestBackupAt: d.newest?.date.toISOString() ?? null,
    newestBackupAge: d.newest ? formatAge(d.newest.date, now) : null,
    usedBytes: d.usedBytes,
    usedStorage: formatBytes(d.usedBytes),
    ...(d.error ? { error: d.error } : {}),
    failures: d.failures,
    strangers: strangersJson(d.strangers ?? []),
    ...(d.incompleteUploads
      ? {
          incompleteUploads: d.incompleteUploads.map((u) => ({
            key: u.key,
            parts: u.parts,
            bytes: u.bytes,
            initiated: u.initiated.toISOString(),
          })),
          incompleteUploadBytes: d.incompleteUploads.reduce((n, u) => n + u.bytes, 0),
        }
      : {}),
    ...(d.warnings?.length ? { warnings: d.warnings } : {}),
  }));
}
