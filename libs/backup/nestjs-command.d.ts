export * from './dist/cli/nestjs-command/nestjs-command.bridge';
