/**
 * Checks a cron expression with the `cron` package @nestjs/schedule runs on, so an expression
 * accepted here is one the scheduler can register. `cron` arrives with @nestjs/schedule (an
 * optional peer); without it only "off" is accepted and the message says what to install.
 */
export function cronProblem(expression: string): string | undefined {
  let validate: (e: string) => { valid: boolean; error?: Error };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    validate = require('cron').validateCronExpression;
  } catch {
    return 'install @nestjs/schedule to use schedules';
  }
  const { valid, error } = validate(expression);
  return valid ? undefined : (error?.message ?? 'not a cron expression');
}

/** An IANA time zone name the platform knows ("UTC", "Europe/Berlin"). */
export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}
