import { BackupConfigError } from '../config/backup-config.error';
import { backupOptionsFromEnv } from '../config/env.config';

describe('BACKUP_TENANT_* variables', () => {
  const base = { BACKUP_ENCRYPTION: 'none', BACKUP_NAME: 'shop' };

  it('become the tenant option', () => {
    const options = backupOptionsFromEnv({
      ...base,
      BACKUP_TENANT_ENTITY: 'Tenant',
      BACKUP_TENANT_COLUMN: 'org_id',
      BACKUP_TENANT_FILES: 'storage/app/tenants/{tenant}/**,uploads/{tenant}',
    });
    expect(options.tenant).toEqual({ entity: 'Tenant', column: 'org_id', files: ['storage/app/tenants/{tenant}/**', 'uploads/{tenant}'] });
  });

  it('are validated with the rest', () => {
    const err = (() => {
      try {
        backupOptionsFromEnv({ ...base, BACKUP_TENANT_COLUMN: 'tenant_id; drop', BACKUP_TENANT_FILES: 'storage/app/tenants/**' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(BackupConfigError);
    expect(String((err as Error).message)).toContain('BACKUP_TENANT_COLUMN');
    expect(String((err as Error).message)).toContain('BACKUP_TENANT_FILES');
  });
});
