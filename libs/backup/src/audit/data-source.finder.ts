import { ModuleRef } from '@nestjs/core';
import { AuditDataSource } from './typeorm.audit-store';

/**
 * The host's TypeORM DataSource by name, as @nestjs/typeorm registers it (`DataSource` for
 * "default", `<name>DataSource` otherwise); undefined when the host has none.
 */
export function findDataSource(moduleRef: ModuleRef, name: string): AuditDataSource | undefined {
  const tokens: unknown[] = [`${name}DataSource`];
  if (name === 'default') {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      tokens.unshift(require('typeorm').DataSource);
    } catch {
      /* typeorm is an optional peer */
    }
  }
  for (const token of tokens) {
    try {
      const found = moduleRef.get(token as string, { strict: false }) as unknown;
      if (found && typeof found === 'object' && 'options' in found && 'query' in found) return found as AuditDataSource;
    } catch {
      /* not registered under this token */
    }
  }
  return undefined;
}
