import { Inject, Injectable } from '@nestjs/common';
import { RETENTION_OPTIONS } from './retention.constants';
import { planRetention, validateRetentionOptions } from './retention.plan';
import { RetentionCandidate, RetentionOptions, RetentionPlan } from './retention.types';

export { planRetention } from './retention.plan';

/**
 * Injectable face of planRetention. Options come from the RETENTION_OPTIONS token.
 *
 * @example
 * providers: [{ provide: RETENTION_OPTIONS, useValue: DEFAULT_RETENTION }, RetentionPolicy]
 * const { delete: doomed, reasons } = policy.plan(backups);
 */
@Injectable()
export class RetentionPolicy {
  constructor(@Inject(RETENTION_OPTIONS) private readonly options: RetentionOptions) {
    validateRetentionOptions(options);
  }

  plan(backups: RetentionCandidate[], now: Date = new Date()): RetentionPlan {
    return planRetention(backups, now, this.options);
  }
}
