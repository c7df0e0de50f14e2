import { Test } from '@nestjs/testing';
import { DEFAULT_RETENTION, RETENTION_OPTIONS } from './retention.constants';
import { RetentionConfigError } from './retention.error';
import { planRetention, RetentionPolicy } from './retention.policy';
import { RetentionCandidate, RetentionOptions } from './retention.types';
import { at, DAY, HOUR, NO_PERIODS, SPATIE_DEFAULTS } from './retention.test-fixtures';

describe('RetentionPolicy (Nest provider)', () => {
  it('takes its options from RETENTION_OPTIONS and delegates to planRetention', async () => {
    const moduleRef = await Test.createTestingModule({
      providers: [{ provide: RETENTION_OPTIONS, useValue: { ...SPATIE_DEFAULTS, maxCount: 2 } }, RetentionPolicy],
    }).compile();
    const policy = moduleRef.get(RetentionPolicy);
    const backups = [at('2016-01-07T00:00:00Z'), at('2016-01-06T00:00:00Z'), at('2016-01-05T00:00:00Z')];
    const now = new Date('2016-01-08T00:00:00Z');
    expect(policy.plan(backups, now)).toEqual(planRetention(backups, now, { ...SPATIE_DEFAULTS, maxCount: 2 }));
    expect(policy.plan(backups, now).delete).toEqual(['2016-01-05T00:00:00Z']);
  });

  it('uses the current time by default', () => {
    const policy = new RetentionPolicy({ ...NO_PERIODS, keepAllDays: 1 });
    const recent = new Date(Date.now() - HOUR).toISOString();
    const old = new Date(Date.now() - 3 * DAY).toISOString();
    const older = new Date(Date.now() - 4 * DAY).toISOString();
    expect(policy.plan([at(recent), at(old), at(older)]).delete).toEqual([old, older]);
  });

  it('refuses bad options when constructed', () => {
    expect(() => new RetentionPolicy({ ...DEFAULT_RETENTION, keepDailyDays: -3 })).toThrow(RetentionConfigError);
  });
});
