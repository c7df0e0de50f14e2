import { Inject, Injectable } from '@nestjs/common';
import { BACKUP_OPTIONS } from '../config/backup-options.token';
import { BackupModuleOptions } from '../config/backup-options.interface';
import { ReportRequestError } from './audit.errors';
import { AuditTrail } from './audit.trail';
import { buildComplianceReport, ComplianceReport } from './compliance.report';

export const DEFAULT_REPORT_DAYS = 30;

/**
 * The compliance report from the audit trail (`backup:report`): per destination the backups
 * made and failed, the newest backup's age against the RPO, the last verification, test
 * restore and restore with the measured time against the RTO; retention and encryption in
 * force; every failure in the period.
 *
 * @example const report = await reporter.report({ since: new Date('2026-01-01') });
 */
@Injectable()
export class ComplianceReporter {
  constructor(
    @Inject(BACKUP_OPTIONS) private readonly options: BackupModuleOptions,
    private readonly trail: AuditTrail,
  ) {}

  async report(request: { since?: Date; now?: Date } = {}): Promise<ComplianceReport> {
    const now = request.now ?? new Date();
    const since = request.since ?? new Date(now.getTime() - DEFAULT_REPORT_DAYS * 86_400_000);
    if (since.getTime() > now.getTime()) {
      throw new ReportRequestError(
        `--since ${since.toISOString()} is in the future`,
        'Give a date in the past, e.g. --since 2026-01-01 or --since 30d.',
      );
    }
    const { records, sources, problems } = await this.trail.read();
    return buildComplianceReport(records, {
      appName: this.options.appName,
      now,
      since,
      disks: this.options.disks,
      rpoHours: this.trail.settings.rpoHours,
      rtoHours: this.trail.settings.rtoHours,
      retention: this.options.retention,
      encryption: this.options.archive.encryption,
      sources,
      problems,
    });
  }
}

/** `--since`: an ISO date (2026-01-01, 2026-01-01T12:00:00Z) or an age such as 30d / 12h. */
export function parseSince(value: string, now = new Date()): Date {
  const age = /^(\d+)([dh])$/.exec(value.trim());
  if (age) return new Date(now.getTime() - Number(age[1]) * (age[2] === 'd' ? 86_400_000 : 3_600_000));
  const date = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim()) ? new Date(value.trim()) : new Date(NaN);
  if (Number.isNaN(date.getTime())) {
    throw new ReportRequestError(
      `--since "${value}" is not a date`,
      'Use an ISO date such as 2026-01-01 or 2026-01-01T00:00:00Z, or an age such as 30d or 12h.',
    );
  }
  return date;
}
