import { createRequire } from 'node:module';
import { Type } from '@nestjs/common';
import { CommandMeta, OptionMeta } from 'nest-commander/src/constants';

/** A positional argument as nest-commander's `arguments: '<tenantId>'` / `'[backup]'` declares it. */
export interface ArgumentSpec {
  name: string;
  required: boolean;
  variadic: boolean;
  description?: string;
}

/** One `@Option({ flags, description })` of a command, with commander's reading of its flags. */
export interface OptionSpec {
  /** The long flag without dashes, as typed: `disk`, `no-safety-backup`. */
  long: string;
  short?: string;
  /** Where commander puts the value (`safetyBackup` for `--no-safety-backup`). */
  attribute: string;
  value: 'none' | 'required' | 'optional';
  negate: boolean;
  description: string;
  /** The parser method (`parseDisk`), called per occurrence with (value, previous) as commander does. */
  parser: string;
  defaultValue?: unknown;
  mandatory: boolean;
  choices?: string[];
}

/** What a nest-commander command class declares: the single definition both CLI packages read. */
export interface CommandSpec {
  type: Type;
  name: string;
  description: string;
  args: ArgumentSpec[];
  options: OptionSpec[];
}

interface CommandMetadata {
  name: string;
  arguments?: string;
  description?: string;
  argsDescription?: Record<string, string>;
}

interface OptionMetadata {
  flags: string;
  description?: string;
  defaultValue?: unknown;
  required?: boolean;
  choices?: string[] | boolean;
}

/** The part of commander's Option used here: the same flag parser nest-commander hands the flags to. */
interface CommanderOption {
  long?: string;
  short?: string;
  required: boolean;
  optional: boolean;
  negate: boolean;
  attributeName(): string;
}

/**
 * Reads the metadata nest-commander's `@Command` and `@Option` left on a CommandRunner class.
 * The flags are split by commander itself (the copy nest-commander depends on), so `-d, --disk
 * <name>`, `--x [v]` and `--no-x` mean here exactly what they mean to nest-commander.
 */
export function readCommandSpec(type: Type): CommandSpec {
  const meta = Reflect.getMetadata(CommandMeta, type) as CommandMetadata | undefined;
  if (!meta) throw new Error(`${type.name} has no nest-commander @Command() metadata`);
  return {
    type,
    name: meta.name,
    description: meta.description ?? '',
    args: parseArguments(meta.arguments ?? '', meta.argsDescription ?? {}),
    options: optionMethods(type).map(({ method, meta: o }) => optionSpec(method, o)),
  };
}

/** True for a class nest-commander would run as a command. */
export function isCommandClass(type: unknown): type is Type {
  return typeof type === 'function' && Reflect.hasMetadata(CommandMeta, type);
}

function optionMethods(type: Type): Array<{ method: string; meta: OptionMetadata }> {
  const proto = type.prototype as Record<string, unknown>;
  return Object.getOwnPropertyNames(proto)
    .filter((name) => name !== 'constructor' && typeof Object.getOwnPropertyDescriptor(proto, name)?.value === 'function')
    .flatMap((method) => {
      const meta = Reflect.getMetadata(OptionMeta, proto[method] as object) as OptionMetadata | undefined;
      return meta ? [{ method, meta }] : [];
    });
}

function optionSpec(parser: string, meta: OptionMetadata): OptionSpec {
  const parsed = new (commanderOption())(meta.flags, meta.description);
  if (!parsed.long) throw new Error(`Option "${meta.flags}" has no long flag; nestjs-command needs one`);
  return {
    long: parsed.long.replace(/^--/, ''),
    short: parsed.short?.replace(/^-/, ''),
    attribute: parsed.attributeName(),
    value: parsed.required ? 'required' : parsed.optional ? 'optional' : 'none',
    negate: parsed.negate,
    description: meta.description ?? '',
    parser,
    defaultValue: meta.defaultValue,
    mandatory: meta.required ?? false,
    choices: Array.isArray(meta.choices) && meta.choices.length ? meta.choices : undefined,
  };
}

function parseArguments(declared: string, descriptions: Record<string, string>): ArgumentSpec[] {
  return declared
    .split(' ')
    .filter(Boolean)
    .map((word) => {
      const name = word.slice(1, -1).replace(/\.\.\.$/, '');
      return { name, required: word.startsWith('<'), variadic: word.slice(1, -1).endsWith('...'), description: descriptions[name] };
    });
}

let optionClass: (new (flags: string, description?: string) => CommanderOption) | undefined;

function commanderOption(): new (flags: string, description?: string) => CommanderOption {
  // Resolved from nest-commander's own location: commander is its dependency, not ours.
  optionClass ??= (createRequire(require.resolve('nest-commander'))('commander') as { Option: typeof optionClass }).Option;
  return optionClass!;
}
