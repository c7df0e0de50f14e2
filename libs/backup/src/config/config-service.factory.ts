import { BackupModuleOptions } from './backup-options.interface';
import { BACKUP_ENV_KEYS, backupOptionsFromEnv, Env } from './env.config';

/**
 * What is read of @nestjs/config's ConfigService (which fits it): typed here so the package's
 * declarations compile in a host without @nestjs/config (an optional peer).
 */
export interface ConfigReader {
  get(key: string): unknown;
}

/**
 * Reads the backup variables through @nestjs/config (so .env files and validation the host
 * set up apply) and builds the module options; throws BackupConfigError listing every problem.
 */
export function backupOptionsFromConfig(config: ConfigReader): BackupModuleOptions {
  const env: Env = {};
  for (const key of BACKUP_ENV_KEYS) {
    const value = config.get(key);
    if (value !== undefined && value !== null) env[key] = String(value);
  }
  return backupOptionsFromEnv(env);
}
