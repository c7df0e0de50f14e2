import { BackupError } from '../common/backup.error';

/** A host-supplied health check is not usable (no name or no check method). */
export class HealthCheckConfigError extends BackupError {}
