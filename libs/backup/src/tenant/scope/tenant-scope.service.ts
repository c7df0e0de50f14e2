import { Inject, Injectable } from '@nestjs/common';
import { BACKUP_OPTIONS } from '../../config/backup-options.token';
import { BackupModuleOptions } from '../../config/backup-options.interface';
import { ConnectionResolver } from '../../sources/connection.resolver';
import { ConnectionInfo } from '../../sources/connection-info';
import { tableModelsFromTypeOrm } from './table.model';
import { TenantConfigError } from '../tenant.errors';
import { TenantOptions } from '../tenant.options';
import { buildTenantScope, TenantScope } from './tenant.scope';

interface MetadataHolder {
  isInitialized?: boolean;
  entityMetadatas: unknown[];
  buildMetadatas?: () => Promise<void>;
}

/**
 * Finds the host's TypeORM DataSource (as ConnectionResolver does) and builds the tenant scope
 * from its entity metadata. The DataSource is not connected for this: when the host has not
 * initialized it (a CLI with manualInitialization), only its metadata is built — no
 * connection, no synchronize, no migrations.
 */
@Injectable()
export class TenantScopeService {
  private cached?: Promise<TenantScope>;

  constructor(
    @Inject(BACKUP_OPTIONS) private readonly options: BackupModuleOptions,
    private readonly connections: ConnectionResolver,
  ) {}

  get tenantOptions(): TenantOptions {
    return this.options.tenant ?? {};
  }

  /** The DataSource name the tenants live in. */
  get dataSourceName(): string {
    return this.tenantOptions.dataSource ?? this.options.databases[0] ?? 'default';
  }

  scope(): Promise<TenantScope> {
    this.cached ??= this.build();
    this.cached.catch(() => (this.cached = undefined));
    return this.cached;
  }

  connection(): ConnectionInfo {
    return this.connections.resolveOne(this.dataSourceName);
  }

  private async build(): Promise<TenantScope> {
    const ds = this.findDataSource(this.dataSourceName);
    if (!ds) {
      throw new TenantConfigError(
        `No TypeORM DataSource named "${this.dataSourceName}" to read the tenant tables from`,
        'Tenant commands read the entity metadata: register TypeOrmModule.forRoot({ entities }) in the host, or set tenant.dataSource.',
      );
    }
    if (ds.entityMetadatas.length === 0 && !ds.isInitialized && typeof ds.buildMetadatas === 'function') await ds.buildMetadatas();
    if (ds.entityMetadatas.length === 0)
      throw new TenantConfigError(`The DataSource "${this.dataSourceName}" has no entities`, 'List the entities in its options.');
    return buildTenantScope(tableModelsFromTypeOrm(ds.entityMetadatas as never), this.tenantOptions);
  }

  private findDataSource(name: string): MetadataHolder | undefined {
    const ds = this.connections.findDataSource(name);
    return ds && Array.isArray(ds.entityMetadatas) ? (ds as MetadataHolder) : undefined;
  }
}
