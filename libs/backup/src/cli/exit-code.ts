import { Type } from '@nestjs/common';
import { OPTION_DECLARATION } from './command.decorators';

/**
 * Every command sets its own exit code. nest-commander's default handler for an error thrown by
 * `run` prints it and leaves the exit code 0, so a cron job or CI step using the README's plain
 * `CommandFactory.run(AppModule, { logger: new CliLogger() })` would see a failed restore as a
 * success. Each command's `run` is wrapped once here: a thrown error is printed (message and
 * hint, as the demo's entry prints them) and the exit code becomes 1,
 * unless the command already chose a more specific non-zero code (locked, signalled).
 *
 * An option's parser (`--tries 0`) throws while commander parses, before `run`: it is wrapped
 * too, setting the exit code and rethrowing, so the runner's error handler prints it once. The
 * wrapper carries the parser's metadata (the CLI entry points find options by it).
 */
export function exitNonZeroOnError(command: Type): void {
  const proto = command.prototype as { run: (...args: unknown[]) => Promise<void>; [WRAPPED]?: true };
  if (proto[WRAPPED]) return;
  const run = proto.run;
  proto.run = async function (this: unknown, ...args: unknown[]): Promise<void> {
    try {
      await run.apply(this, args);
    } catch (err) {
      process.stderr.write(`${describe(err)}\n`);
      if (!process.exitCode) process.exitCode = 1;
    }
  };
  for (const name of Object.getOwnPropertyNames(proto)) {
    const parser = Object.getOwnPropertyDescriptor(proto, name)?.value as unknown;
    if (name === 'constructor' || name === 'run' || typeof parser !== 'function') continue;
    const keys = Reflect.getMetadataKeys(parser) as unknown[];
    if (!keys.includes(OPTION_DECLARATION)) continue;
    const wrapped = function (this: unknown, ...args: unknown[]): unknown {
      try {
        return (parser as (...a: unknown[]) => unknown).apply(this, args);
      } catch (err) {
        process.exitCode = 1;
        throw err;
      }
    };
    for (const key of keys) Reflect.defineMetadata(key, Reflect.getMetadata(key, parser), wrapped);
    Object.defineProperty(proto, name, { ...Object.getOwnPropertyDescriptor(proto, name), value: wrapped });
  }
  proto[WRAPPED] = true;
}

const WRAPPED = Symbol('nest-backup exit code');

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
