import { ConfigService } from '@nestjs/config';
import { BackupModuleOptions } from './backup-options.interface';
import { BACKUP_ENV_KEYS, backupOptionsFromEnv, Env } from './env.config';

/**
 * Reads the backup variables through @nestjs/config (so .env files and validation the host
 * set up apply) and builds the module options; throws BackupConfigError listing every problem.
 */
export function backupOptionsFromConfig(config: ConfigService): BackupModuleOptions {
  const env: Env = {};
  for (const key of BACKUP_ENV_KEYS) {
    const value = config.get<string>(key);
    if (value !== undefined && value !== null) env[key] = String(value);
  }
  return backupOptionsFromEnv(env);
}
