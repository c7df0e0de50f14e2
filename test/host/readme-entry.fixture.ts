/**
 * One AppModule with `schedule: true`, started two ways as a host starts it: `app` as the
 * long-running process (NestFactory), anything else as a CLI command through nest-commander's
 * CommandFactory with the README's entry point (a CliModule: the AppModule plus
 * BackupCommandsModule). Compiled to dist/ and run by readme-entry.e2e.ts.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { CommandFactory } from 'nest-commander';
import { BackupModule, backupOptionsFromEnv, CliLogger } from 'nest-backup';
import { BackupCommandsModule } from 'nest-backup/nest-commander';

@Module({
  imports: [ScheduleModule.forRoot(), BackupModule.forRoot({ ...backupOptionsFromEnv(process.env), schedule: true })],
})
class HostModule {}

@Module({ imports: [HostModule, BackupCommandsModule] })
class CliModule {}

async function main(): Promise<void> {
  if (process.argv[2] === 'app') {
    const app = await NestFactory.createApplicationContext(HostModule, { logger: new CliLogger() });
    await app.close();
    return;
  }
  await CommandFactory.run(CliModule, { logger: new CliLogger() });
}

main().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
