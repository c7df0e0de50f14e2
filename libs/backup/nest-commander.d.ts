export * from './dist/cli/nest-commander/backup-commands.module';
