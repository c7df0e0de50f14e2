import type { MigrationInterface, QueryRunner } from 'typeorm';
import { BackupError } from '../common/backup.error';
import { AUDIT_COLUMNS, AUDIT_INDEX, AUDIT_TABLE } from './audit-log.table';

/**
 * Creates `backup_audit_log` (for hosts that run migrations): add it to the DataSource's
 * `migrations` and run `typeorm migration:run`. `down` refuses: the audit trail is append-only
 * and this library never removes it; drop the table by hand if you really mean to.
 *
 * @example TypeOrmModule.forRoot({ ..., migrations: [...mine, BackupAuditLogMigration] })
 */
export class BackupAuditLogMigration implements MigrationInterface {
  /** TypeORM reads the migration's timestamp from the end of its name. */
  readonly name = 'BackupAuditLog1767225600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Table, TableIndex } = require('typeorm') as typeof import('typeorm');
    await queryRunner.createTable(
      new Table({
        name: AUDIT_TABLE,
        columns: AUDIT_COLUMNS.map((c) => ({
          name: c.name,
          type: c.type,
          length: c.length !== undefined ? String(c.length) : undefined,
          isNullable: !!c.nullable,
          isPrimary: !!c.primary,
        })),
      }),
      true,
    );
    const table = await queryRunner.getTable(AUDIT_TABLE);
    if (!table?.indices.some((i) => i.name === AUDIT_INDEX)) {
      await queryRunner.createIndex(AUDIT_TABLE, new TableIndex({ name: AUDIT_INDEX, columnNames: ['started_at'] }));
    }
  }

  async down(): Promise<void> {
    throw new BackupError(
      `The ${AUDIT_TABLE} table is an append-only audit trail; nest-backup does not remove it`,
      `Drop it by hand (DROP TABLE ${AUDIT_TABLE}) if you really mean to, then delete this migration's row from your migrations table.`,
    );
  }
}
