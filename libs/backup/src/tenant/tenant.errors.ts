import { BackupError } from '../common/backup.error';

/** Tenant commands were used but the tenant scoping is not configured or cannot be built. */
export class TenantConfigError extends BackupError {}

/** The tenant id is not a value of the tenant key's type (or looks like an injection attempt). */
export class InvalidTenantIdError extends BackupError {}

/** No tenant with that id exists (in the live database, or in the backup). */
export class UnknownTenantError extends BackupError {}

/** The export belongs to another tenant, or is not a tenant export at all. */
export class TenantExportMismatchError extends BackupError {}

/** The live schema no longer matches the one the saved rows were taken from. */
export class TenantSchemaChangedError extends BackupError {}

/** The restore failed inside its transaction; nothing was changed. */
export class TenantRestoreFailedError extends BackupError {}

/** An export could not be written; nothing was stored under its name. */
export class TenantExportFailedError extends BackupError {}

/** Live tenant rows would be replaced without --force or a confirmation. */
export class TenantRestoreNotConfirmedError extends BackupError {}
