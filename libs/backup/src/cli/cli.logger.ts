import { ConsoleLogger } from '@nestjs/common';

/** Nest's own start-up chatter: useful in a server log, noise in a command's output. */
const BOOT_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/**
 * The logger for CLI processes: the library's lines (what is dumped, where it is stored,
 * what failed) without Nest's bootstrap lines, so cron mails show what matters at 02:00.
 *
 * @example CommandFactory.run(AppModule, { logger: new CliLogger() })
 */
export class CliLogger extends ConsoleLogger {
  log(message: unknown, context?: string): void {
    if (context && BOOT_CONTEXTS.has(context)) return;
    super.log(message, context);
  }
}
