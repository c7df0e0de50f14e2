import { ComplianceReport, DestinationCompliance } from './compliance.report';

const hours = (h: number | null): string => (h === null ? '—' : h < 48 ? `${h.toFixed(2)} h` : `${(h / 24).toFixed(2)} days`);
const duration = (ms: number | null): string =>
  ms === null ? '—' : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`;
const cell = (s: string | null | undefined): string => (s ?? '—').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const mark = (v: string): string => (v === 'met' ? '✔ met' : v === 'missed' ? '✘ MISSED' : '– not measured');

/** `backup:report --format md`: the same facts as the JSON, for people. */
export function renderComplianceMarkdown(r: ComplianceReport): string {
  const out: string[] = [];
  out.push(`# Backup compliance report: ${r.appName}`, '');
  out.push(`Period: ${r.period.since} to ${r.period.until}. Generated ${r.generatedAt}.`, '');

  out.push('## Summary', '');
  out.push(
    `- Recovery point objective (RPO): ${r.objectives.rpoHours} h: ${r.objectives.rpoMet ? '✔ met on every destination' : '✘ MISSED on at least one destination'}`,
  );
  out.push(
    `- Recovery time objective (RTO): ${r.objectives.rtoHours} h: ${r.objectives.rtoMet ? '✔ met (measured)' : '✘ not shown to be met (missed or never measured)'}`,
  );
  out.push(`- Failures in the period: ${r.failures.length}`);
  out.push(`- Audit records in the period: ${r.auditTrail.recordsInPeriod}`, '');
  out.push(
    '| Destination | Backups made | Failed | Newest backup age | RPO | Last verification | Last test restore | Measured restore time | RTO |',
  );
  out.push('|---|---|---|---|---|---|---|---|---|');
  for (const d of r.destinations) {
    out.push(
      `| ${cell(d.destination)} | ${d.backups.made} | ${d.backups.failed} | ${hours(d.rpo.ageHours)} | ${mark(d.rpo.verdict)} | ${cell(d.lastVerification?.at)} | ${cell(d.lastTestRestore?.at)} | ${duration(d.rto.measuredMs)}${d.rto.measuredBy ? ` (${d.rto.measuredBy})` : ''} | ${mark(d.rto.verdict)} |`,
    );
  }
  out.push('');

  out.push('## Destinations', '');
  for (const d of r.destinations) out.push(...destinationSection(d), '');

  out.push('## Operations in the period', '');
  out.push('| Operation | Succeeded | Partial | Failed |', '|---|---|---|---|');
  for (const [op, c] of Object.entries(r.operations)) out.push(`| ${op} | ${c.success} | ${c.partial} | ${c.failure} |`);
  out.push('');

  out.push('## Retention in force', '', r.retention.description, '');
  out.push('## Encryption in force', '', r.encryption.description + '.');
  if (r.encryption.unencryptedBackupsInPeriod)
    out.push('', `Backups made unencrypted in the period: ${r.encryption.unencryptedBackupsInPeriod}.`);
  out.push('');

  out.push('## Failures in the period', '');
  if (r.failures.length === 0) out.push('None.');
  else {
    out.push('| When | Operation | Outcome | Destination | Backup | Error | Who |', '|---|---|---|---|---|---|---|');
    for (const f of r.failures) {
      out.push(
        `| ${f.at} | ${f.operation} | ${f.outcome} | ${cell(f.destination)} | ${cell(f.backupName)} | ${cell(f.error)} | ${cell(`${f.user}@${f.host}`)} |`,
      );
    }
  }
  out.push('');

  out.push('## Audit trail', '');
  for (const s of r.auditTrail.sources) out.push(`- read from ${s}`);
  for (const p of r.auditTrail.problems) out.push(`- NOT read: ${p}`);
  out.push('');
  return out.join('\n');
}

function destinationSection(d: DestinationCompliance): string[] {
  return [
    `### ${d.destination}`,
    '',
    `- Backups made in the period: ${d.backups.made}; failed: ${d.backups.failed}`,
    `- Newest backup: ${d.newestBackup ? `${d.newestBackup.name}, ${d.newestBackup.at} (${hours(d.newestBackup.ageHours)} old)` : 'none recorded'}; RPO ${d.rpo.objectiveHours} h: ${mark(d.rpo.verdict)}`,
    `- Last successful verification: ${d.lastVerification ? `${d.lastVerification.at}, ${d.lastVerification.backupName}${d.lastVerification.testRestore ? ' (with test restore)' : ''}` : 'none recorded'}`,
    `- Last successful test restore: ${d.lastTestRestore ? `${d.lastTestRestore.at}, ${d.lastTestRestore.backupName}, ${duration(d.lastTestRestore.durationMs)}` : 'none recorded'}`,
    `- Last restore: ${d.lastRestore ? `${d.lastRestore.at}, ${d.lastRestore.backupName}, ${duration(d.lastRestore.durationMs)}` : 'none recorded'}`,
    `- Measured restore time: ${duration(d.rto.measuredMs)}${d.rto.measuredBy ? ` (${d.rto.measuredBy})` : ''}; RTO ${d.rto.objectiveHours} h: ${mark(d.rto.verdict)}`,
    `- Cleanups: ${d.cleanups.runs} (${d.cleanups.failed} failed, ${d.cleanups.deleted} backups deleted); health checks: ${d.monitoring.runs} (${d.monitoring.unhealthy} unhealthy)`,
  ];
}
