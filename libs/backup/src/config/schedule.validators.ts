import { registerDecorator, ValidationArguments } from 'class-validator';

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

/** A cron expression ("0 2 * * *", or six fields with seconds) or "off". */
export function IsCronOrOff(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isCronOrOff',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown) => typeof value === 'string' && (value === 'off' || !cronProblem(value)),
        defaultMessage: (a?: ValidationArguments) =>
          `${a?.property} must be a cron expression such as "0 2 * * *" (minute hour day month weekday) or "off"` +
          ` (got "${String(a?.value)}": ${cronProblem(String(a?.value)) ?? 'invalid'})`,
      },
    });
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

export function IsTimeZone(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isTimeZone',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown) => typeof value === 'string' && isTimeZone(value),
        defaultMessage: (a?: ValidationArguments) =>
          `${a?.property} must be an IANA time zone such as "UTC" or "Europe/Berlin" (got "${String(a?.value)}")`,
      },
    });
}
