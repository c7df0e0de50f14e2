import { Redactor } from './redact';

describe('Redactor', () => {
  it('replaces every configured secret, longest first', () => {
    const r = new Redactor(['s3cr3t-key', 's3cr3t-key-long', undefined, '']);
    expect(r.redact('a s3cr3t-key-long and s3cr3t-key')).toBe('a *** and ***');
  });

  it('masks passwords inside connection URLs even when not configured', () => {
    const r = new Redactor([]);
    expect(r.redact('connect postgres://app:hunter22@db:5432/x failed')).toBe('connect postgres://app:***@db:5432/x failed');
  });
});
