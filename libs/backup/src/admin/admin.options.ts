import type { CanActivate, DynamicModule, ForwardReference, Type } from '@nestjs/common';

/**
 * Options of `BackupAdminModule.register()`.
 *
 * @example BackupAdminModule.register({ path: 'admin/backups' })
 */
export interface BackupAdminOptions {
  /** Path prefix of the API, the dashboard and the OpenAPI document (default `admin/backups`). */
  path?: string;
  /**
   * The bearer token callers send (`Authorization: Bearer <token>`); default the
   * BACKUP_ADMIN_TOKEN environment variable. At least 32 characters, or the app does not start.
   * Ignored when `guard` is given.
   */
  token?: string;
  /**
   * The host's own Nest guard instead of the token. The caller recorded in the audit trail is
   * what the guard leaves in `request.user` (its `username`, `name`, `email`, `sub` or `id`, or
   * the string itself), or "guard" when it leaves nothing.
   */
  guard?: Type<CanActivate> | CanActivate;
  /** Modules the guard's own dependencies come from. */
  imports?: Array<Type | DynamicModule | Promise<DynamicModule> | ForwardReference>;
}
