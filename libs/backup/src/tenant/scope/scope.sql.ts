import { SqlSession } from '../sessions/sql.session';
import { TenantScope } from './tenant.scope';

/**
 * The WHERE condition that picks one tenant's rows of `table`, written against the table's own
 * name (so it works in SELECT and DELETE on every driver). The tenant id is the one bound
 * parameter (placeholder 1); parent tables are reached with EXISTS over their foreign keys.
 */
export function tenantCondition(
  scope: TenantScope,
  table: string,
  sql: Pick<SqlSession, 'quote' | 'placeholder'>,
  qualifier = sql.quote(table),
  depth = 1,
): string {
  const scoped = scope.tables.find((t) => t.table === table);
  if (!scoped) throw new Error(`"${table}" is not a tenant-scoped table`);
  const p = scoped.placement;
  if (p.kind !== 'parent') return `${qualifier}.${sql.quote(p.column)} = ${sql.placeholder(1)}`;
  const alias = `nb_p${depth}`;
  const joins = p.columns.map((c, i) => `${alias}.${sql.quote(p.parentColumns[i])} = ${qualifier}.${sql.quote(c)}`);
  return `EXISTS (SELECT 1 FROM ${sql.quote(p.parent)} ${alias} WHERE ${joins.join(' AND ')} AND ${tenantCondition(scope, p.parent, sql, alias, depth + 1)})`;
}
