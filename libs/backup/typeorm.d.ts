export * from './dist/audit/audit-log.schema';
export * from './dist/audit/audit-log.migration';
