import { Logger } from '@nestjs/common';
import { Command, CommandRunner, Option } from './command.decorators';
import { ReportRequestError } from '../audit/audit.errors';
import { renderComplianceMarkdown } from '../audit/compliance.markdown';
import { ComplianceReporter, parseSince } from '../audit/compliance.reporter';

interface ReportFlags {
  since?: Date;
  format?: 'md' | 'json';
}

/** `backup:report`: the compliance report from the audit trail, as Markdown or JSON. */
@Command({
  name: 'backup:report',
  description: 'Compliance report from the audit trail: backups made and failed, RPO/RTO verdicts, retention, encryption, failures',
})
export class ReportCommand extends CommandRunner {
  constructor(private readonly reporter: ComplianceReporter) {
    super();
  }

  async run(_params: string[], flags: ReportFlags = {}): Promise<void> {
    const format = flags.format ?? 'md';
    // JSON keeps stdout machine-readable: Nest's log lines are dropped (warnings and errors stay).
    if (format === 'json') Logger.overrideLogger(['warn', 'error']);
    const report = await this.reporter.report({ since: flags.since });
    process.stdout.write(format === 'json' ? JSON.stringify(report, null, 2) + '\n' : renderComplianceMarkdown(report));
  }

  @Option({
    flags: '--since <date>',
    description: 'Start of the period: an ISO date (2026-01-01) or an age (30d, 12h); default 30 days ago',
  })
  parseSince(value: string): Date {
    return parseSince(value);
  }

  @Option({ flags: '--format <format>', description: 'md (default) or json' })
  parseFormat(value: string): 'md' | 'json' {
    if (value !== 'md' && value !== 'json')
      throw new ReportRequestError(`--format "${value}" is not known`, 'Use --format md or --format json.');
    return value;
  }
}
