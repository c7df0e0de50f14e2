import { Injectable, Module, Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Argv, Command, CommandModule, Option, Positional } from 'nestjs-command';
import { COMMAND_SERVICES, LIBRARY_COMMANDS } from '../library.commands';
import { CommandSpec, readCommandSpec } from './command.spec-reader';
import { commanderInputs, yargsCommand, yargsOptions, yargsPositionals } from './yargs.translation';

/** The library's commands, as their classes declare them. */
function libraryCommands(): CommandSpec[] {
  return LIBRARY_COMMANDS.map(readCommandSpec);
}

interface Runnable {
  run(params: string[], flags: Record<string, unknown>): Promise<void>;
}

/**
 * Runs the library's commands through nestjs-command (yargs). Each command class stays the one
 * definition: its name, arguments, options and descriptions are read from its declarations
 * (cli/command.decorators.ts) and declared to nestjs-command with nestjs-command's own decorators;
 * the handler hands the same `(params, flags)` to the same instance's `run`, which sets the
 * exit code and prints exactly as under nest-commander. (A process whose entry calls
 * CommandService.exec() starts no schedules: see schedule/cli-process.ts.)
 */
@Injectable()
export class BackupCommandBridge {
  constructor(private readonly moduleRef: ModuleRef) {}

  async runCommand(spec: CommandSpec, argv: Record<string, unknown>): Promise<void> {
    const command = this.moduleRef.get<Runnable>(spec.type as Type<Runnable>, { strict: false });
    let inputs: ReturnType<typeof commanderInputs>;
    try {
      inputs = commanderInputs(spec, argv, command as unknown as Record<string, unknown>);
    } catch (err) {
      // A parser refused a value (`--tries 0`): printed once, exit code 1, as a failed run.
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
      return;
    }
    // `run` is wrapped by exitNonZeroOnError: it prints a failure once and sets the exit code.
    await command.run(inputs.params, inputs.flags);
  }
}

/** One method per library command on the bridge, decorated for nestjs-command's explorer. */
function declareCommands(): void {
  const proto = BackupCommandBridge.prototype as unknown as Record<string, unknown>;
  for (const spec of libraryCommands()) {
    const key = spec.name;
    const descriptor: PropertyDescriptor = {
      value: function (this: BackupCommandBridge, argv: Record<string, unknown>) {
        return this.runCommand(spec, argv);
      },
      writable: true,
      configurable: true,
    };
    Object.defineProperty(proto, key, descriptor);
    // Parameter decorators first: @Command reads what they recorded.
    Argv()(proto, key, 0);
    let index = 1;
    for (const p of yargsPositionals(spec)) Positional(p)(proto, key, index++);
    for (const o of yargsOptions(spec)) Option(o)(proto, key, index++);
    Command({ command: yargsCommand(spec), describe: spec.description })(proto, key, descriptor);
  }
}

declareCommands();

/**
 * The library's commands for hosts that run their CLI through nestjs-command
 * (`npx nestjs-command backup:run`). Import it beside BackupModule (global, as by default); it
 * imports nestjs-command's CommandModule and provides the command classes, so nest-commander is
 * not needed.
 *
 * @example
 * @Module({ imports: [BackupModule.forRoot(backupOptionsFromEnv(process.env)), BackupNestjsCommandModule] })
 * export class AppModule {}
 */
@Module({ imports: [CommandModule], providers: [BackupCommandBridge, ...LIBRARY_COMMANDS, ...COMMAND_SERVICES] })
export class BackupNestjsCommandModule {}
