import { Inject, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { BackupError } from '../common/backup.error';
import { BACKUP_OPTIONS } from '../config/backup-options.token';
import { BackupModuleOptions } from '../config/backup-options.interface';
import { ConnectionInfo } from './connection-info';
import { connectionFromTypeOrm } from './connection-from-typeorm';

/**
 * Finds the databases named in BACKUP_DATABASES: explicit `connections` from the module
 * options first, then the host's TypeORM DataSources (registered by @nestjs/typeorm under
 * `DataSource` for "default" and `<name>DataSource` otherwise). Only their options are read;
 * the DataSource need not be connected.
 */
@Injectable()
export class ConnectionResolver {
  constructor(
    @Inject(BACKUP_OPTIONS) private readonly options: BackupModuleOptions,
    private readonly moduleRef: ModuleRef,
  ) {}

  async resolve(names: string[]): Promise<ConnectionInfo[]> {
    return names.map((name) => this.resolveOne(name));
  }

  resolveOne(name: string): ConnectionInfo {
    const explicit = this.options.connections?.find((c) => c.name === name);
    if (explicit) return explicit;
    const dataSource = this.findDataSource(name);
    if (!dataSource) {
      const known = this.options.connections?.map((c) => c.name) ?? [];
      throw new BackupError(
        `No database connection named "${name}"` + (known.length ? ` (configured: ${known.join(', ')})` : ''),
        'BACKUP_DATABASES lists TypeORM DataSource names: register TypeOrmModule.forRoot({ name, ... }) ' +
          'in the host app, pass `connections` to BackupModule, or use --db-name with an existing name.',
      );
    }
    return connectionFromTypeOrm(dataSource.options as never, name);
  }

  /**
   * The host's TypeORM DataSource called `name` (registered by @nestjs/typeorm under
   * `DataSource` for "default", `<name>DataSource` otherwise), or undefined.
   */
  findDataSource(name: string): { options: unknown; entityMetadatas?: unknown[] } | undefined {
    const tokens: unknown[] = [`${name}DataSource`];
    if (name === 'default') {
      try {
        // typeorm is an optional peer: only a host that uses it has a DataSource to find.
        tokens.unshift(require('typeorm').DataSource);
      } catch {
        /* no typeorm installed */
      }
    }
    for (const token of tokens) {
      try {
        const found = this.moduleRef.get(token as string, { strict: false });
        if (found && typeof found === 'object' && 'options' in found) return found as { options: unknown };
      } catch {
        /* not registered under this token */
      }
    }
    return undefined;
  }
}
