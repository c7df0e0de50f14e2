import { parseJobKind, parseJobParams } from './admin-job.params';

describe('admin job parameters', () => {
  it('accepts the known kinds and fields of their type', () => {
    expect(parseJobKind('test-restore')).toBe('test-restore');
    expect(parseJobParams('run', { onlyDb: true, onlyToDisk: 's3' })).toEqual({ onlyDb: true, onlyToDisk: 's3' });
    expect(parseJobParams('verify', undefined)).toEqual({});
    expect(parseJobParams('tenant-export', { tenantId: '12' })).toEqual({ tenantId: '12' });
  });

  it('refuses unknown kinds, unknown fields (no way to ask for a forced restore), wrong types, and missing tenants, with a hint', () => {
    expect(() => parseJobKind('restore')).toThrow(/No job kind "restore"[\s\S]*jobs\/run, jobs\/verify/);
    expect(() => parseJobParams('run', { force: true })).toThrow(/"force" is not a field of a run job[\s\S]*Known fields/);
    expect(() => parseJobParams('verify', { all: 'yes' })).toThrow(/"all" must be a boolean/);
    expect(() => parseJobParams('tenant-export', {})).toThrow(/needs "tenantId"/);
    expect(() => parseJobParams('run', { onlyDb: true, onlyFiles: true })).toThrow(/exclude each other/);
    expect(() => parseJobParams('run', [1])).toThrow(/JSON object/);
  });
});
