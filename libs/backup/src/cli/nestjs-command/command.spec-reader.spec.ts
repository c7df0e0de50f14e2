import 'reflect-metadata';
import { Option as CommanderOption } from 'commander';
import { LIBRARY_COMMANDS } from '../library.commands';
import { readCommandSpec } from './command.spec-reader';
import { OPTION_DECLARATION, OptionDeclaration } from '../command.decorators';

/** Every option every library command declares, with its flags. */
function declaredOptions(): Array<{ command: string; parser: string; flags: string }> {
  return LIBRARY_COMMANDS.flatMap((type) => {
    const proto = type.prototype as Record<string, unknown>;
    return Object.getOwnPropertyNames(proto).flatMap((parser) => {
      const value = Object.getOwnPropertyDescriptor(proto, parser)?.value as object | undefined;
      const declared =
        typeof value === 'function' ? (Reflect.getMetadata(OPTION_DECLARATION, value) as OptionDeclaration | undefined) : undefined;
      return declared ? [{ command: type.name, parser, flags: declared.flags }] : [];
    });
  });
}

describe('the command declarations read without nest-commander', () => {
  it('every option of every library command splits as commander (what nest-commander uses) splits it', () => {
    const options = declaredOptions();
    expect(options.length).toBeGreaterThan(30);
    for (const { command, parser, flags } of options) {
      const spec = readCommandSpec(LIBRARY_COMMANDS.find((t) => t.name === command)!).options.find((o) => o.parser === parser)!;
      const commander = new CommanderOption(flags);
      expect({ flags, long: spec.long, short: spec.short, attribute: spec.attribute, value: spec.value, negate: spec.negate }).toEqual({
        flags,
        long: commander.long!.replace(/^--/, ''),
        short: commander.short?.replace(/^-/, ''),
        attribute: commander.attributeName(),
        value: commander.required ? 'required' : commander.optional ? 'optional' : 'none',
        negate: commander.negate,
      });
    }
  });

  it('short and lone-short flags, optional values and --no-x as commander reads them', () => {
    for (const flags of ['-d, --disk <name>', '-d|--disk <name>', '--level [n]', '--no-safety-backup', '-x --extra-long-name']) {
      class Probe {
        parse(): void {}
      }
      Reflect.defineMetadata('nest-backup:command', { name: 'probe' }, Probe);
      Reflect.defineMetadata(OPTION_DECLARATION, { flags }, Probe.prototype.parse);
      const [spec] = readCommandSpec(Probe).options;
      const commander = new CommanderOption(flags);
      expect([flags, spec.long, spec.short, spec.attribute, spec.negate]).toEqual([
        flags,
        commander.long!.slice(2),
        commander.short?.slice(1),
        commander.attributeName(),
        commander.negate,
      ]);
    }
  });
});
