import { Type } from '@nestjs/common';
import { COMMAND_DECLARATION, CommandDeclaration, OPTION_DECLARATION, OptionDeclaration } from '../command.decorators';

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

/** What a library command class declares: the single definition both CLI packages read. */
export interface CommandSpec {
  type: Type;
  name: string;
  description: string;
  args: ArgumentSpec[];
  options: OptionSpec[];
}

/**
 * Reads the declarations (`@Command`, `@Option` of cli/command.decorators.ts) of a command class.
 * The flags are split as commander splits them (commander 11's Option), so `-d, --disk <name>`,
 * `--x [v]` and `--no-x` mean here what they mean to nest-commander, without loading it.
 */
export function readCommandSpec(type: Type): CommandSpec {
  const meta = Reflect.getMetadata(COMMAND_DECLARATION, type) as CommandDeclaration | undefined;
  if (!meta) throw new Error(`${type.name} has no @Command() declaration`);
  return {
    type,
    name: meta.name,
    description: meta.description ?? '',
    args: parseArguments(meta.arguments ?? '', meta.argsDescription ?? {}),
    options: optionMethods(type).map(({ method, meta: o }) => optionSpec(method, o)),
  };
}

function optionMethods(type: Type): Array<{ method: string; meta: OptionDeclaration }> {
  const proto = type.prototype as Record<string, unknown>;
  return Object.getOwnPropertyNames(proto)
    .filter((name) => name !== 'constructor' && typeof Object.getOwnPropertyDescriptor(proto, name)?.value === 'function')
    .flatMap((method) => {
      const meta = Reflect.getMetadata(OPTION_DECLARATION, proto[method] as object) as OptionDeclaration | undefined;
      return meta ? [{ method, meta }] : [];
    });
}

function optionSpec(parser: string, meta: OptionDeclaration): OptionSpec {
  const parsed = splitFlags(meta.flags);
  if (!parsed.long) throw new Error(`Option "${meta.flags}" has no long flag; nestjs-command needs one`);
  const long = parsed.long.replace(/^--/, '');
  return {
    long,
    short: parsed.short?.replace(/^-/, ''),
    attribute: camelCase(long.replace(/^no-/, '')),
    value: meta.flags.includes('<') ? 'required' : meta.flags.includes('[') ? 'optional' : 'none',
    negate: long.startsWith('no-'),
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

/** commander's splitOptionFlags: `-d, --disk <name>` → `-d` and `--disk`; a lone `-d` is short. */
function splitFlags(flags: string): { short?: string; long?: string } {
  const parts = flags.split(/[ |,]+/);
  let short = parts.length > 1 && !/^[[<]/.test(parts[1]) ? parts.shift() : undefined;
  let long = parts.shift();
  if (!short && long && /^-[^-]$/.test(long)) {
    short = long;
    long = undefined;
  }
  return { short, long };
}

/** commander's attribute name: `no-safety-backup` → `safetyBackup` (the `no-` dropped first). */
function camelCase(name: string): string {
  return name.split('-').reduce((out, word) => out + word[0].toUpperCase() + word.slice(1));
}
