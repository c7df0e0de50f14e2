import type { CanActivate, ExecutionContext, Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { isObservable, lastValueFrom } from 'rxjs';
import { BackupAdminOptions } from './admin.options';
import { ADMIN_TOKEN_ENV } from './admin.constants';
import { bearerToken, requireAdminToken, tokenMatches } from './admin-token';

/** Whether a request may use the API, and who it is (the name the audit trail records). */
export type AccessDecision = { allowed: true; caller: string } | { allowed: false; caller: string; reason: string };

/** How requests are let in: by the configured token, or by the host's guard. */
export interface AdminAccess {
  readonly kind: 'token' | 'guard';
  /** Secrets the responses must never contain (the token). */
  readonly secrets: string[];
  decide(context: ExecutionContext): Promise<AccessDecision>;
}

/** The token from the options or BACKUP_ADMIN_TOKEN; throws (the app does not start) when unusable. */
export class TokenAccess implements AdminAccess {
  readonly kind = 'token';
  private readonly token: string;

  constructor(token: string | undefined) {
    this.token = requireAdminToken(token);
  }

  get secrets(): string[] {
    return [this.token];
  }

  async decide(context: ExecutionContext): Promise<AccessDecision> {
    const header = context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>().headers.authorization;
    const given = bearerToken(header);
    if (tokenMatches(this.token, given)) return { allowed: true, caller: 'token' };
    return { allowed: false, caller: 'anonymous', reason: given ? 'wrong bearer token' : 'no bearer token' };
  }
}

/** The host's guard decides; the caller is whatever it put on `request.user`. */
export class GuardAccess implements AdminAccess {
  readonly kind = 'guard';
  readonly secrets: string[] = [];

  constructor(private readonly guard: CanActivate) {}

  async decide(context: ExecutionContext): Promise<AccessDecision> {
    const verdict = this.guard.canActivate(context);
    const allowed = isObservable(verdict) ? await lastValueFrom(verdict) : await verdict;
    const caller = callerOf(context.switchToHttp().getRequest<{ user?: unknown }>().user);
    return allowed ? { allowed: true, caller } : { allowed: false, caller, reason: 'refused by the guard' };
  }
}

/** The name of what a guard left in `request.user`: username, name, email, sub, id, or "guard". */
export function callerOf(user: unknown): string {
  if (typeof user === 'string' && user) return user;
  if (user && typeof user === 'object') {
    const u = user as Record<string, unknown>;
    for (const key of ['username', 'name', 'email', 'sub', 'id']) {
      if (typeof u[key] === 'string' || typeof u[key] === 'number') return String(u[key]);
    }
  }
  return 'guard';
}

/** Chooses the access at start (a guard class is built with the admin module's injector). */
export async function adminAccessFactory(options: BackupAdminOptions, moduleRef: ModuleRef): Promise<AdminAccess> {
  if (!options.guard) return new TokenAccess(options.token ?? process.env[ADMIN_TOKEN_ENV]);
  const guard = typeof options.guard === 'function' ? await moduleRef.create(options.guard as Type<CanActivate>) : options.guard;
  return new GuardAccess(guard);
}
