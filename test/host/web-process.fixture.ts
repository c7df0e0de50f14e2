/**
 * A web process as a host writes it: its AppModule imports BackupModule (with `schedule: true`),
 * and nothing of the CLI. `web` starts it and uses BackupService; `cli` starts the CLI module of
 * the README (AppModule plus BackupCommandsModule) without running a command. Each prints the
 * CLI packages its process loaded, read from require.cache. Compiled to dist/ and run by
 * web-process.e2e.ts.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { BackupModule, BackupService, backupOptionsFromEnv, CliLogger } from 'nest-backup';

@Module({
  imports: [ScheduleModule.forRoot(), BackupModule.forRoot({ ...backupOptionsFromEnv(process.env), schedule: true })],
})
class AppModule {}

/** The CLI packages (and their parsers) this process has loaded, by package name. */
function loadedCliPackages(): string[] {
  const names = new Set<string>();
  for (const file of Object.keys(require.cache)) {
    const m = /node_modules[\\/](nest-commander|nestjs-command|commander|yargs)[\\/]/.exec(file);
    if (m) names.add(m[1]);
  }
  return [...names].sort();
}

/** The queue packages (optional peers, for BACKUP_QUEUE_REDIS_URL only) this process has loaded. */
function loadedQueuePackages(): string[] {
  const names = new Set<string>();
  for (const file of Object.keys(require.cache)) {
    const m = /node_modules[\\/](bullmq|ioredis)[\\/]/.exec(file);
    if (m) names.add(m[1]);
  }
  return [...names].sort();
}

async function main(): Promise<void> {
  let root: object = AppModule;
  if (process.argv[2] === 'cli') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { BackupCommandsModule } = require('nest-backup/nest-commander') as typeof import('nest-backup/nest-commander');
    @Module({ imports: [AppModule, BackupCommandsModule] })
    class CliModule {}
    root = CliModule;
  }
  const app = await NestFactory.createApplicationContext(root as never, { logger: new CliLogger() });
  try {
    const report = await app.get(BackupService).run({ filename: 'web-process' });
    process.stdout.write(`RUN ${report.ok ? 'ok' : 'failed: ' + report.error}\n`);
  } finally {
    await app.close();
  }
  process.stdout.write(`LOADED ${JSON.stringify(loadedCliPackages())}\n`);
  process.stdout.write(`QUEUE ${JSON.stringify(loadedQueuePackages())}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
