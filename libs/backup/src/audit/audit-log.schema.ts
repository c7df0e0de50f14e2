import type { EntitySchema } from 'typeorm';
import { AUDIT_COLUMNS, AUDIT_INDEX, AUDIT_TABLE, BackupAuditLogRow } from './audit-log.table';

let schema: EntitySchema<BackupAuditLogRow> | undefined;

/**
 * The audit table as a TypeORM EntitySchema, for hosts that use `synchronize`: add it to the
 * DataSource's entities. (A function, because typeorm is an optional peer of this library.)
 *
 * @example TypeOrmModule.forRoot({ ..., entities: [...mine, backupAuditLogEntity()], synchronize: true })
 */
export function backupAuditLogEntity(): EntitySchema<BackupAuditLogRow> {
  if (schema) return schema;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { EntitySchema: Schema } = require('typeorm') as typeof import('typeorm');
  const columns: Record<string, object> = {};
  for (const c of AUDIT_COLUMNS) {
    columns[c.property] = { name: c.name, type: c.type, length: c.length, nullable: !!c.nullable, primary: !!c.primary };
  }
  schema = new Schema<BackupAuditLogRow>({
    name: 'BackupAuditLog',
    tableName: AUDIT_TABLE,
    columns: columns as never,
    indices: [{ name: AUDIT_INDEX, columns: ['startedAt'] }],
  });
  return schema;
}
