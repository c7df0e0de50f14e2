import { ConsoleLogger, LogLevel } from '@nestjs/common';
import { BackupError } from '../common/backup.error';

/** Nest's own start-up chatter: useful in a server log, noise in a command's output. */
const BOOT_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/**
 * The logger for CLI processes: the library's lines (what is dumped, where it is stored,
 * what failed) without Nest's bootstrap lines, so cron mails show what matters at 02:00.
 * Every log line goes to stderr, so a command's stdout (a table, --json) stays parseable.
 *
 * @example CommandFactory.run(AppModule, { logger: new CliLogger() })
 */
export class CliLogger extends ConsoleLogger {
  log(message: unknown, context?: string): void {
    if (context && BOOT_CONTEXTS.has(context)) return;
    super.log(message, context);
  }

  /** A start-up BackupError (a bad environment) is a message for a person, not a stack trace. */
  error(message: unknown, ...rest: unknown[]): void {
    if (message instanceof BackupError) {
      process.stderr.write(`${message.message}\n`);
      return;
    }
    super.error(message, ...(rest as []));
  }

  protected printMessages(
    messages: unknown[],
    context?: string,
    logLevel?: LogLevel,
    _stream?: 'stdout' | 'stderr',
    errorStack?: unknown,
  ): void {
    super.printMessages(messages, context, logLevel, 'stderr', errorStack);
  }
}
