import { TenantScope } from './tenant.scope';

/** The lines `backup:tenants` prints; with `explain`, why each table is (or is not) scoped. */
export function describeScope(scope: TenantScope, explain: boolean): string {
  const lines = [
    `Tenant key: ${scope.key.table}.${scope.key.column} (${scope.key.type}); tenant column: ${scope.column}`,
    `Tenant-scoped tables (${scope.tables.length}, parents first):`,
  ];
  for (const t of scope.tables) lines.push(explain ? `  ${t.table}: ${t.reason}` : `  ${t.table}`);
  if (scope.shared.length) lines.push(`Shared tables (declared, never exported): ${scope.shared.join(', ')}`);
  if (scope.unplaced.length) {
    lines.push(`Tables that could not be placed (${scope.unplaced.length}; NOT in tenant exports):`);
    for (const u of scope.unplaced) lines.push(explain ? `  ${u.table}: ${u.reason}` : `  ${u.table}`);
    if (!explain) lines.push('Run with --explain to see why.');
  }
  if (scope.cycles.length) lines.push(`Foreign-key cycle among: ${scope.cycles.join(', ')} (restore order is a best effort)`);
  return lines.join('\n') + '\n';
}
