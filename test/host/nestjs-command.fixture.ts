/**
 * A host that runs its CLI through nestjs-command, as nestjs-command's README sets one up: the
 * AppModule (with `schedule: true`) imports BackupNestjsCommandModule, and the CLI entry builds
 * the same module and calls `CommandService.exec()`. `app` starts it as the long-running process
 * instead. Compiled to dist/ and run by nestjs-command.e2e.ts, directly and through
 * `nestjs-command`'s bin (CLI_PATH).
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { CommandModule, CommandService } from 'nestjs-command';
import { BackupModule, backupOptionsFromEnv, CliLogger } from 'nest-backup';
import { BackupNestjsCommandModule } from 'nest-backup/nestjs-command';

@Module({
  imports: [
    ScheduleModule.forRoot(),
    BackupModule.forRoot({ ...backupOptionsFromEnv(process.env), schedule: true }),
    BackupNestjsCommandModule,
  ],
})
class HostModule {}

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(HostModule, { logger: new CliLogger() });
  if (process.argv[2] === 'app') {
    // A long-running process: give the event loop the turns a server's would have.
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    await app.close();
    return;
  }
  try {
    await app.select(CommandModule).get(CommandService).exec();
  } finally {
    await app.close();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
