/**
 * The little the tenant scoping needs to know about a table, read from TypeORM's entity
 * metadata (`tableModelsFromTypeOrm`) or written by hand in unit specs.
 */
export interface TableModel {
  /** Table name as in the database. */
  name: string;
  /** Entity name / class, to match the `tenant.entity` option. */
  entityName?: string;
  target?: unknown;
  columns: ColumnModel[];
  foreignKeys: ForeignKeyModel[];
  /** A many-to-many join table TypeORM made. */
  junction?: boolean;
}

export interface ColumnModel {
  name: string;
  /** Normalized: 'integer' | 'bigint' | 'uuid' | 'string' | anything else as TypeORM says it. */
  type: string;
  length?: number;
  primary?: boolean;
}

export interface ForeignKeyModel {
  columns: string[];
  table: string;
  referencedColumns: string[];
}

interface TypeOrmColumn {
  databaseName: string;
  type: unknown;
  length?: string | number;
  isPrimary?: boolean;
}
interface TypeOrmEntity {
  name: string;
  target: unknown;
  tableName: string;
  tablePath?: string;
  tableType: string;
  columns: TypeOrmColumn[];
  foreignKeys: Array<{
    columnNames: string[];
    referencedTablePath: string;
    referencedColumnNames: string[];
    referencedEntityMetadata?: { tableName: string };
  }>;
}

/** Maps TypeORM column types (a JS constructor or a database type name) onto a few families. */
export function normalizeColumnType(type: unknown): string {
  if (type === Number) return 'integer';
  if (type === String) return 'string';
  if (typeof type === 'function') return String((type as { name?: string }).name ?? 'unknown').toLowerCase();
  const t = String(type).toLowerCase();
  if (['int', 'integer', 'int4', 'smallint', 'int2', 'tinyint', 'mediumint', 'int8', 'bigint', 'increment'].includes(t)) {
    return t === 'bigint' || t === 'int8' ? 'bigint' : 'integer';
  }
  if (t === 'uuid') return 'uuid';
  if (['varchar', 'character varying', 'char', 'character', 'nvarchar', 'nchar', 'text', 'varchar2', 'string'].includes(t)) return 'string';
  return t;
}

/** Tables of a TypeORM DataSource's metadata: views skipped, single-table-inheritance children merged. */
export function tableModelsFromTypeOrm(metadatas: readonly TypeOrmEntity[]): TableModel[] {
  const byName = new Map<string, TableModel>();
  for (const m of metadatas) {
    if (m.tableType === 'view') continue;
    const name = m.tableName;
    const model = byName.get(name) ?? {
      name,
      entityName: m.name,
      target: m.target,
      columns: [],
      foreignKeys: [],
      junction: m.tableType === 'junction',
    };
    for (const c of m.columns) {
      if (model.columns.some((x) => x.name === c.databaseName)) continue;
      const length = c.length === undefined || c.length === '' ? undefined : Number(c.length);
      model.columns.push({
        name: c.databaseName,
        type: normalizeColumnType(c.type),
        length: Number.isFinite(length) ? length : undefined,
        primary: !!c.isPrimary,
      });
    }
    for (const fk of m.foreignKeys) {
      const table = fk.referencedEntityMetadata?.tableName ?? fk.referencedTablePath;
      if (model.foreignKeys.some((x) => x.table === table && x.columns.join() === fk.columnNames.join())) continue;
      model.foreignKeys.push({ columns: [...fk.columnNames], table, referencedColumns: [...fk.referencedColumnNames] });
    }
    byName.set(name, model);
  }
  return [...byName.values()];
}
