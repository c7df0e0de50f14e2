/**
 * The library's own command declarations. Each command class is declared once, here, with no CLI
 * package imported: nest-commander and nestjs-command are optional peers, and a web process that
 * imports BackupModule must load neither. The entry points `nest-backup/nest-commander` and
 * `nest-backup/nestjs-command` read these declarations and hand them to their package.
 *
 * The shapes are nest-commander's (`@Command({ name, arguments, description })`,
 * `@Option({ flags: '-d, --disk <name>', description })`, a `run(params, flags)` method), so a
 * command reads as any nest-commander command does.
 */

/** `@Command(...)`: the command's name, positional arguments and help text. */
export interface CommandDeclaration {
  name: string;
  /** commander syntax: `<required> [optional] [variadic...]`. */
  arguments?: string;
  description?: string;
  argsDescription?: Record<string, string>;
}

/** `@Option(...)` on a parser method: commander's flag syntax and help text. */
export interface OptionDeclaration {
  flags: string;
  description?: string;
  defaultValue?: string | boolean | number;
  required?: boolean;
  choices?: string[];
}

export const COMMAND_DECLARATION = 'nest-backup:command';
export const OPTION_DECLARATION = 'nest-backup:option';

/** Declares a command class (its constructor parameters are injected by Nest as for any provider). */
export function Command(declaration: CommandDeclaration): ClassDecorator {
  return (target) => {
    Reflect.defineMetadata(COMMAND_DECLARATION, declaration, target);
  };
}

/** Declares an option; the method parses each occurrence's value `(value, previous)`. */
export function Option(declaration: OptionDeclaration): MethodDecorator {
  return (_target, _key, descriptor) => {
    Reflect.defineMetadata(OPTION_DECLARATION, declaration, descriptor.value as object);
  };
}

/**
 * The base of every library command. `setCommand` is the one method nest-commander calls on a
 * runner before `run` (it hands over commander's Command object, unused here).
 */
export abstract class CommandRunner {
  protected command?: unknown;

  setCommand(command: unknown): this {
    this.command = command;
    return this;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each command types its own flags, as under nest-commander
  abstract run(params: string[], flags?: Record<string, any>): Promise<void>;
}
