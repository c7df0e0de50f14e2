import { Module, Type } from '@nestjs/common';
import { Command, Option } from 'nest-commander';
import { COMMAND_DECLARATION, CommandDeclaration, OPTION_DECLARATION, OptionDeclaration } from '../command.decorators';
import { COMMAND_SERVICES, LIBRARY_COMMANDS } from '../library.commands';

/**
 * Hands each library command's declarations to nest-commander's own `@Command` / `@Option`, once,
 * when this entry point is loaded: the command classes import no CLI package, so BackupModule
 * (what a web process imports) loads none.
 */
function declareToNestCommander(type: Type): void {
  Command(Reflect.getMetadata(COMMAND_DECLARATION, type) as CommandDeclaration)(type);
  const proto = type.prototype as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(proto)) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, name);
    if (name === 'constructor' || typeof descriptor?.value !== 'function') continue;
    const declared = Reflect.getMetadata(OPTION_DECLARATION, descriptor.value as object) as OptionDeclaration | undefined;
    if (declared) Option(declared)(proto, name, descriptor);
  }
}

LIBRARY_COMMANDS.forEach(declareToNestCommander);

/**
 * The library's commands (`backup:run`, `backup:list`, `backup:restore`, …) for a CLI entry point
 * run by nest-commander's CommandFactory. Import it in the module the CLI entry point runs, beside
 * BackupModule (global, as by default); the web app's module need not import it.
 *
 * @example
 * @Module({ imports: [AppModule, BackupCommandsModule] })
 * export class CliModule {}
 * // cli.ts
 * void CommandFactory.run(CliModule, { logger: new CliLogger() });
 */
@Module({ providers: [...LIBRARY_COMMANDS, ...COMMAND_SERVICES] })
export class BackupCommandsModule {}
