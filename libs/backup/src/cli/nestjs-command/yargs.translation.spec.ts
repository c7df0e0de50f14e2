import 'reflect-metadata';
import yargs from 'yargs/yargs';
import { Command, CommandRunner, Option } from '../command.decorators';
import { RestoreCommand } from '../restore.command';
import { RunCommand } from '../run.command';
import { readCommandSpec } from './command.spec-reader';
import { commanderInputs, yargsCommand, yargsOptions, yargsPositionals } from './yargs.translation';

@Command({ name: 'demo:flags', arguments: '<first> [rest...]', description: 'Flag syntax', argsDescription: { first: 'The first' } })
class FlagsCommand extends CommandRunner {
  async run(): Promise<void> {}

  @Option({ flags: '-d, --disk <name>', description: 'Disk' })
  parseDisk(value: string): string {
    return value.toUpperCase();
  }

  @Option({ flags: '--level [n]', description: 'Level' })
  parseLevel(value: string): number {
    return Number(value);
  }

  @Option({ flags: '--no-check', description: 'Skip the check' })
  parseNoCheck(): boolean {
    return false;
  }
}

/** Parses a command line with yargs as nestjs-command declares the command, then translates it. */
function parse(type: typeof CommandRunner, line: string[]) {
  const spec = readCommandSpec(type as never);
  let argv: Record<string, unknown> = {};
  yargs(line)
    .strict()
    .exitProcess(false)
    .fail((msg) => {
      throw new Error(msg);
    })
    .command(
      yargsCommand(spec),
      spec.description,
      (y) => {
        for (const p of yargsPositionals(spec)) y.positional(p.name, p);
        for (const o of yargsOptions(spec)) y.option(o.name, o);
        return y;
      },
      (a) => {
        argv = a;
      },
    )
    .parse();
  const instance = Object.create(type.prototype) as Record<string, unknown>;
  return commanderInputs(spec, argv, instance);
}

describe('command options read by yargs', () => {
  it('short flags, required and optional values, --no-x and variadic arguments mean what they mean to commander', () => {
    expect(parse(FlagsCommand as never, ['demo:flags', 'a', 'b', 'c', '-d', 'local', '--level', '--no-check'])).toEqual({
      params: ['a', 'b', 'c'],
      flags: { disk: 'LOCAL', level: true, check: false },
    });
    expect(parse(FlagsCommand as never, ['demo:flags', '2026', '--level', '3'])).toEqual({
      params: ['2026'],
      flags: { level: 3, check: true },
    });
  });

  it('repeatable options fold through the parser per occurrence; values stay strings for the parser', () => {
    expect(parse(RunCommand as never, ['backup:run', '--db-name', 'a,b', '--db-name', 'c', '--tries', '3', '--only-db'])).toEqual({
      params: [],
      // --no-wait is declared, so wait is true unless it is given (as commander does).
      flags: { dbName: ['a', 'b', 'c'], tries: 3, onlyDb: true, wait: true },
    });
    expect(parse(RunCommand as never, ['backup:run', '--each-tenant', '--no-wait']).flags).toEqual({ eachTenant: true, wait: false });
  });

  it('backup:restore: the file name positional and --no-safety-backup (safetyBackup true unless given)', () => {
    expect(parse(RestoreCommand as never, ['backup:restore', 'x.zip', '--disk', 's3'])).toEqual({
      params: ['x.zip'],
      flags: { disk: 's3', safetyBackup: true },
    });
    expect(parse(RestoreCommand as never, ['backup:restore', '--latest', '--no-safety-backup']).flags).toEqual({
      latest: true,
      safetyBackup: false,
    });
  });

  it('a required value left out is refused, as commander refuses it', () => {
    expect(() => parse(RestoreCommand as never, ['backup:restore', '--disk'])).toThrow(/disk/);
  });
});
