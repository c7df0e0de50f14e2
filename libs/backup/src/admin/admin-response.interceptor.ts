import { CallHandler, ExecutionContext, HttpException, HttpStatus, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { catchError, from, mergeMap, Observable } from 'rxjs';
import { AuditTrail } from '../audit/audit.trail';
import { BACKUP_OPTIONS } from '../config/backup-options.token';
import { secretsOf } from '../config/secrets';
import { BackupError } from '../common/backup.error';
import { Redactor, redactDeep } from '../common/redact';
import { BackupModuleOptions } from '../config/backup-options.interface';
import { ADMIN_ACCESS, ADMIN_CALLER_KEY } from './admin.constants';
import { AdminAccess } from './admin-access';
import { recordAdminRequest } from './admin-request.audit';
import { ADMIN_STATUS_KEY } from './admin-status.decorator';

/**
 * Around every admin API handler: the body passes through the redactor (every configured
 * secret and the token become `***`, even if a service let one slip), errors become JSON with
 * the operator hint, and the request is recorded in the audit trail with its caller.
 */
@Injectable()
export class AdminResponseInterceptor implements NestInterceptor {
  private readonly redactor: Redactor;

  constructor(
    @Inject(BACKUP_OPTIONS) options: BackupModuleOptions,
    @Inject(ADMIN_ACCESS) access: AdminAccess,
    private readonly trail: AuditTrail,
  ) {
    this.redactor = new Redactor([...secretsOf(options), ...access.secrets]);
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Record<string, unknown>>();
    const caller = String(request[ADMIN_CALLER_KEY] ?? 'unknown');
    const startedAt = new Date();
    const status = (Reflect.getMetadata(ADMIN_STATUS_KEY, context.getHandler()) as number | undefined) ?? 200;
    return next.handle().pipe(
      mergeMap((body) =>
        from(
          (async () => {
            const safe = this.safe(body);
            const jobId =
              safe && typeof safe === 'object' && typeof (safe as { id?: unknown }).id === 'string' && request.method === 'POST'
                ? (safe as { id: string }).id
                : undefined;
            await recordAdminRequest(this.trail, { request, startedAt, caller, status, jobId });
            return safe;
          })(),
        ),
      ),
      catchError((err: unknown) =>
        from(
          (async () => {
            const http = this.toHttp(err);
            const response = http.getResponse();
            const message =
              typeof response === 'object' && response && 'message' in response
                ? String((response as { message: unknown }).message)
                : String(response);
            await recordAdminRequest(this.trail, { request, startedAt, caller, status: http.getStatus(), error: message.slice(0, 500) });
            throw http;
          })(),
        ),
      ),
    );
  }

  /** Plain JSON (dates as ISO text) with every secret replaced. */
  private safe(body: unknown): unknown {
    if (body === undefined) return body;
    return redactDeep(JSON.parse(JSON.stringify(body)) as unknown, this.redactor);
  }

  private toHttp(err: unknown): HttpException {
    if (err instanceof HttpException) return new HttpException(this.safe(err.getResponse()) as object, err.getStatus());
    if (err instanceof BackupError) {
      // BackupError's message ends with "→ hint"; the JSON carries them apart.
      const message = err.hint ? err.message.slice(0, err.message.lastIndexOf('\n  → ')) : err.message;
      return new HttpException(
        {
          statusCode: HttpStatus.BAD_REQUEST,
          error: 'Bad Request',
          message: this.redactor.redact(message),
          hint: err.hint ? this.redactor.redact(err.hint) : undefined,
        },
        HttpStatus.BAD_REQUEST,
      );
    }
    const message = err instanceof Error ? err.message : String(err);
    return new HttpException(
      { statusCode: 500, error: 'Internal Server Error', message: this.redactor.redact(message), hint: 'See the app log for details.' },
      HttpStatus.INTERNAL_SERVER_ERROR,
    );
  }
}
