import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { CliLogger } from 'nest-backup';
import { DemoCliModule } from './demo-cli.module';

let finished = false;
// If the event loop ever empties while a command still awaits (a stream nobody will end),
// Node would exit 0 with nothing done: make that a loud failure instead.
process.once('beforeExit', () => {
  if (finished) return;
  process.stderr.write('The command stopped before it finished (nothing left to wait for): treat it as failed.\n');
  process.exitCode = 1;
});

async function main(): Promise<void> {
  await CommandFactory.run(DemoCliModule, {
    logger: new CliLogger(),
    cliName: 'npm run cli --',
    serviceErrorHandler: (err) => {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = 1;
    },
  });
  finished = true;
}

main().catch((err: Error) => {
  // Start-up errors (a bad environment) end here: print the message, not a stack trace.
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
