export * from './dist/health/backup.health-indicator';
