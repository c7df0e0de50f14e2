import { applyDecorators, HttpCode, SetMetadata } from '@nestjs/common';

export const ADMIN_STATUS_KEY = 'backupAdminStatus';

/**
 * HttpCode, plus the code kept where the response interceptor can read it for the audit record
 * (Nest sets the status only after interceptors ran, and keeps its own key internal).
 */
export const AdminStatus = (code: number) => applyDecorators(HttpCode(code), SetMetadata(ADMIN_STATUS_KEY, code));
