import { createInterface } from 'node:readline';
import { ZipReader } from '../../archive';
import { FileToRestore } from '../../restore/files.restorer';
import { SqlSession } from '../sessions/sql.session';
import { countTenantRows, selectTenantRows } from '../export/tenant-rows';
import { TenantScope } from '../scope/tenant.scope';

/** One table of the saved state: its columns at save time, its row count and its rows. */
export interface SavedTable {
  table: string;
  columns: string[];
  rows: number;
  read(): AsyncIterable<Record<string, unknown>>;
}

/**
 * A tenant's saved state, from a tenant export (JSON Lines entries) or from a full backup
 * loaded into a scratch database. `close()` releases it (and drops the scratch database).
 */
export interface SavedTenant {
  describe: string;
  tables: SavedTable[];
  files: FileToRestore[];
  close(): Promise<void>;
}

/** Rows of a `tenant-data/<table>.jsonl` entry, parsed line by line. */
export async function* jsonLinesRows(zip: ZipReader, entry: string): AsyncIterable<Record<string, unknown>> {
  const lines = createInterface({ input: await zip.openEntry(entry), crlfDelay: Infinity });
  for await (const line of lines) if (line) yield JSON.parse(line) as Record<string, unknown>;
}

/** The tenant's tables as they are in a (scratch) database reached through `session`. */
export async function tablesFromDatabase(
  session: SqlSession,
  scope: TenantScope,
  id: unknown,
): Promise<Array<SavedTable | { table: string; missing: true }>> {
  const out: Array<SavedTable | { table: string; missing: true }> = [];
  for (const { table } of scope.tables) {
    const columns = (await session.columns(table)).filter((c) => !c.generated).map((c) => c.name);
    if (columns.length === 0) {
      out.push({ table, missing: true });
      continue;
    }
    const rows = await countTenantRows(session, scope, table, id);
    out.push({ table, columns, rows, read: () => selectTenantRows(session, scope, table, columns, id) });
  }
  return out;
}
