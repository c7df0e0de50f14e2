import { CanActivate, ExecutionContext, HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { AuditTrail } from '../audit/audit.trail';
import { ADMIN_ACCESS, ADMIN_CALLER_KEY } from './admin.constants';
import { AdminAccess } from './admin-access';
import { recordAdminRequest } from './admin-request.audit';

/**
 * Lets a request into the admin API when the token (or the host's guard) allows it, and leaves
 * the caller on the request for the audit record; a refused request is recorded here, since
 * the interceptor that records the others never sees it.
 */
@Injectable()
export class AdminAccessGuard implements CanActivate {
  constructor(
    @Inject(ADMIN_ACCESS) private readonly access: AdminAccess,
    private readonly trail: AuditTrail,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Record<string, unknown>>();
    const startedAt = new Date();
    let decision;
    try {
      decision = await this.access.decide(context);
    } catch (err) {
      // The host guard threw its own exception (401/403): recorded, then passed on unchanged.
      const status = err instanceof HttpException ? err.getStatus() : 500;
      await recordAdminRequest(this.trail, { request, startedAt, caller: 'unknown', status, error: 'refused by the guard' });
      throw err;
    }
    if (!decision.allowed) {
      const status = this.access.kind === 'token' ? HttpStatus.UNAUTHORIZED : HttpStatus.FORBIDDEN;
      await recordAdminRequest(this.trail, { request, startedAt, caller: decision.caller, status, error: decision.reason });
      throw new HttpException(
        {
          statusCode: status,
          error: status === 401 ? 'Unauthorized' : 'Forbidden',
          message: `Backup admin API: ${decision.reason}`,
          hint:
            this.access.kind === 'token'
              ? 'Send the token of BACKUP_ADMIN_TOKEN as "Authorization: Bearer <token>".'
              : "Your app's guard refused this request.",
        },
        status,
      );
    }
    request[ADMIN_CALLER_KEY] = decision.caller;
    return true;
  }
}
