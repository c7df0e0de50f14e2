import { ArgumentSpec, CommandSpec, OptionSpec } from './command.spec-reader';

/** The yargs option/positional settings nestjs-command passes on (`yargs.option(name, settings)`). */
export interface YargsSetting {
  name: string;
  describe?: string;
  type: 'string' | 'boolean';
  alias?: string;
  requiresArg?: boolean;
  demandOption?: boolean;
  choices?: string[];
  hidden?: boolean;
}

/** `backup:restore [backup]`: commander's `<x...>` is yargs' `<x..>`. */
export function yargsCommand(spec: CommandSpec): string {
  return [spec.name, ...spec.args.map(argumentWord)].join(' ');
}

function argumentWord(a: ArgumentSpec): string {
  const name = a.variadic ? `${a.name}..` : a.name;
  return a.required ? `<${name}>` : `[${name}]`;
}

/** Positionals stay strings: yargs would turn a backup named `2026` into a number. */
export function yargsPositionals(spec: CommandSpec): YargsSetting[] {
  return spec.args.map((a) => ({ name: a.name, describe: a.description, type: 'string' }));
}

/**
 * One yargs option per commander option, under the same long flag, so help lists the same
 * flags. Values stay strings: the command's own parser method converts them, as under
 * nest-commander. yargs reads `--no-x` as `x: false`, so a `--no-x` option is shown under its
 * own name and also declared, hidden, as `x` (which `--no-x` sets and strict mode then accepts).
 */
export function yargsOptions(spec: CommandSpec): YargsSetting[] {
  return spec.options.flatMap((o): YargsSetting[] => {
    const shown: YargsSetting = {
      name: o.long,
      describe: o.description,
      type: o.value === 'none' ? 'boolean' : 'string',
      ...(o.short ? { alias: o.short } : {}),
      ...(o.value === 'required' ? { requiresArg: true } : {}),
      ...(o.mandatory ? { demandOption: true } : {}),
      ...(o.choices ? { choices: o.choices } : {}),
    };
    return o.negate ? [shown, { name: positiveOf(o), type: 'boolean', hidden: true }] : [shown];
  });
}

/** A command instance's parser methods, by name. */
type Parsers = Record<string, unknown>;

/**
 * The `(params, flags)` nest-commander would hand to the command's `run` for this command line:
 * flags under commander's attribute names, each value through the option's parser method per
 * occurrence (value, previous), boolean flags true without calling it, `--no-x` false and
 * true by default, defaults kept unparsed.
 */
export function commanderInputs(
  spec: CommandSpec,
  argv: Record<string, unknown>,
  instance: Parsers,
): { params: string[]; flags: Record<string, unknown> } {
  const params = spec.args.flatMap((a) => {
    const v = argv[a.name];
    return v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)];
  });
  const flags: Record<string, unknown> = {};
  for (const o of spec.options) {
    const value = optionValue(o, argv, instance);
    if (value !== undefined) flags[o.attribute] = value;
  }
  return { params, flags };
}

function optionValue(o: OptionSpec, argv: Record<string, unknown>, instance: Parsers): unknown {
  if (o.negate) return argv[positiveOf(o)] === false ? false : (o.defaultValue ?? true);
  const given = argv[o.long];
  if (given === undefined) return o.defaultValue;
  if (o.value === 'none') return given === true ? true : undefined;
  const parse = instance[o.parser] as ((value: string, previous: unknown) => unknown) | undefined;
  let result = o.defaultValue;
  for (const raw of Array.isArray(given) ? given : [given]) {
    // commander: `--x [v]` given without a value is true, without calling the parser.
    if (o.value === 'optional' && raw === '') result = true;
    else result = typeof parse === 'function' ? parse.call(instance, String(raw), result) : String(raw);
  }
  return result;
}

function positiveOf(o: OptionSpec): string {
  return o.long.replace(/^no-/, '');
}
