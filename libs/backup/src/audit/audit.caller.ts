import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Who asked for the operations started inside `withAuditCaller` (a job started over the admin
 * API: "token", or the user a host guard named). The services audit themselves deep inside;
 * an async context carries the caller there without a parameter through every service.
 */
const callers = new AsyncLocalStorage<string>();

export function withAuditCaller<T>(caller: string, fn: () => T): T {
  return callers.run(caller, fn);
}

/** The caller of the operation being recorded, when it was started for one. */
export function currentAuditCaller(): string | undefined {
  return callers.getStore();
}
