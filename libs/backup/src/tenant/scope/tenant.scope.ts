import { TableModel } from './table.model';
import { TenantConfigError } from '../tenant.errors';
import { DEFAULT_TENANT_COLUMN, TenantOptions } from '../tenant.options';

/** How a table's rows are tied to one tenant. */
export type Placement =
  /** The tenant table itself: its key column holds the tenant id. */
  | { kind: 'tenant'; column: string }
  /** A table with the tenant column. */
  | { kind: 'column'; column: string }
  /** A table without it whose foreign key reaches a scoped table (sub_queues.queue_id → queues.id). */
  | { kind: 'parent'; columns: string[]; parent: string; parentColumns: string[] };

export interface ScopedTable {
  table: string;
  placement: Placement;
  /** One line for `backup:tenants --explain`. */
  reason: string;
}

/** The tenant key's value domain, for validating ids before they reach any query. */
export interface TenantKey {
  table: string;
  column: string;
  type: string;
  length?: number;
}

/** Which tables hold one tenant's rows and how; `tables` is ordered parents first. */
export interface TenantScope {
  key: TenantKey;
  /** The tenant column name in scoped tables. */
  column: string;
  tables: ScopedTable[];
  shared: string[];
  /** Tables neither scoped nor declared shared: listed so nothing is silently left out. */
  unplaced: Array<{ table: string; reason: string }>;
  /** Foreign-key cycles among scoped tables (their order is then a best effort). */
  cycles: string[];
}

/**
 * Builds the tenant scope from table models: the tenant table, every table with the tenant
 * column, then (breadth first, so the shortest path wins) every table whose foreign key reaches
 * an already scoped one, join tables included. The rest is shared (declared) or unplaced.
 */
export function buildTenantScope(models: TableModel[], options: TenantOptions = {}): TenantScope {
  const column = options.column ?? DEFAULT_TENANT_COLUMN;
  const tenantTable = findTenantTable(models, options, column);
  const keyColumn = tenantKeyColumn(models, tenantTable, column);
  const keyModel = tenantTable.columns.find((c) => c.name === keyColumn)!;
  const shared = new Set(options.sharedTables ?? []);
  for (const s of shared) {
    if (!models.some((m) => m.name === s))
      throw new TenantConfigError(`The shared table "${s}" is not in the entity metadata`, 'Fix tenant.sharedTables.');
  }

  const placed = new Map<string, ScopedTable>();
  placed.set(tenantTable.name, {
    table: tenantTable.name,
    placement: { kind: 'tenant', column: keyColumn },
    reason: `the tenant table (${keyColumn} = tenant id)`,
  });
  for (const m of models) {
    if (placed.has(m.name) || shared.has(m.name)) continue;
    if (m.columns.some((c) => c.name === column))
      placed.set(m.name, { table: m.name, placement: { kind: 'column', column }, reason: `has the tenant column ${column}` });
  }
  for (;;) {
    const level: ScopedTable[] = [];
    for (const m of [...models].sort(byName)) {
      if (placed.has(m.name) || shared.has(m.name)) continue;
      const fk = m.foreignKeys.find((f) => f.table !== m.name && placed.has(f.table));
      if (!fk) continue;
      const via = `${m.name}.${fk.columns.join('+')} → ${fk.table}.${fk.referencedColumns.join('+')}`;
      level.push({
        table: m.name,
        placement: { kind: 'parent', columns: fk.columns, parent: fk.table, parentColumns: fk.referencedColumns },
        reason: `${m.junction ? 'join table, ' : ''}through ${via}`,
      });
    }
    if (level.length === 0) break;
    for (const s of level) placed.set(s.table, s);
  }

  const unplaced = models
    .filter((m) => !placed.has(m.name) && !shared.has(m.name))
    .sort(byName)
    .map((m) => {
      const referencedBy = models.filter((o) => placed.has(o.name) && o.foreignKeys.some((f) => f.table === m.name)).map((o) => o.name);
      return {
        table: m.name,
        reason: referencedBy.length
          ? `no ${column} column and no foreign key to a tenant table; referenced by ${referencedBy.join(', ')} (a shared lookup table? declare it in tenant.sharedTables)`
          : `no ${column} column and no foreign key to a tenant table (declare it in tenant.sharedTables if it is shared)`,
      };
    });
  const { ordered, cycles } = parentsFirst([...placed.values()], models);
  return {
    key: { table: tenantTable.name, column: keyColumn, type: keyModel.type, length: keyModel.length },
    column,
    tables: ordered,
    shared: [...shared].sort(),
    unplaced,
    cycles,
  };
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function findTenantTable(models: TableModel[], options: TenantOptions, column: string): TableModel {
  const wanted = options.entity;
  if (wanted !== undefined) {
    const found = models.find((m) => (typeof wanted === 'function' ? m.target === wanted : m.entityName === wanted || m.name === wanted));
    if (!found) {
      const name = typeof wanted === 'function' ? wanted.name : wanted;
      throw new TenantConfigError(
        `The tenant entity "${name}" is not among the DataSource's entities`,
        `Known: ${models.map((m) => m.entityName ?? m.name).join(', ')}. Fix tenant.entity (BACKUP_TENANT_ENTITY).`,
      );
    }
    return found;
  }
  const referenced = new Set(
    models.flatMap((m) => m.foreignKeys.filter((f) => f.columns.length === 1 && f.columns[0] === column).map((f) => f.table)),
  );
  if (referenced.size === 1) return models.find((m) => m.name === [...referenced][0])!;
  const named = models.find((m) => m.name === 'tenants' || m.name === 'tenant');
  if (named) return named;
  throw new TenantConfigError(
    `Cannot tell which entity is the tenant (no foreign key on ${column} points at one table, and no table is called "tenants")`,
    'Set tenant.entity (BACKUP_TENANT_ENTITY) to the tenant entity.',
  );
}

function tenantKeyColumn(models: TableModel[], tenant: TableModel, column: string): string {
  for (const m of models) {
    const fk = m.foreignKeys.find((f) => f.table === tenant.name && f.columns.length === 1 && f.columns[0] === column);
    if (fk) return fk.referencedColumns[0];
  }
  const primary = tenant.columns.filter((c) => c.primary);
  if (primary.length !== 1) {
    throw new TenantConfigError(
      `The tenant table "${tenant.name}" needs a single-column primary key (it has ${primary.length})`,
      'Point tenant.entity at the entity whose id is the tenant id.',
    );
  }
  return primary[0].name;
}

/** Topological order over foreign keys between scoped tables (self references ignored). */
function parentsFirst(tables: ScopedTable[], models: TableModel[]): { ordered: ScopedTable[]; cycles: string[] } {
  const names = new Set(tables.map((t) => t.table));
  const parents = new Map<string, Set<string>>();
  for (const t of tables) {
    const m = models.find((x) => x.name === t.table)!;
    parents.set(t.table, new Set(m.foreignKeys.map((f) => f.table).filter((p) => p !== t.table && names.has(p))));
  }
  const ordered: ScopedTable[] = [];
  const done = new Set<string>();
  const pending = [...tables].sort((a, b) => byName({ name: a.table }, { name: b.table }));
  while (pending.length) {
    const i = pending.findIndex((t) => [...parents.get(t.table)!].every((p) => done.has(p)));
    if (i < 0) break;
    const [next] = pending.splice(i, 1);
    ordered.push(next);
    done.add(next.table);
  }
  return { ordered: [...ordered, ...pending], cycles: pending.map((t) => t.table) };
}
