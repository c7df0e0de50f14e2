import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { CliLogger } from 'nest-backup';
import { DemoCliModule } from './demo-cli.module';

async function main(): Promise<void> {
  await CommandFactory.run(DemoCliModule, {
    logger: new CliLogger(),
    cliName: 'npm run cli --',
    serviceErrorHandler: (err) => {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = 1;
    },
  });
}

main().catch((err: Error) => {
  // Start-up errors (a bad environment) end here: print the message, not a stack trace.
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
