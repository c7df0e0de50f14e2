import type { Database } from 'better-sqlite3';

interface SchemaRow {
  type: string;
  name: string;
  tbl_name: string;
  sql: string | null;
}

/** `"name"` with embedded quotes doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * One SQL literal per SQLite storage class, so a reload stores the same value in the same class:
 * integers (read as BigInt) verbatim, REALs in their shortest round-trip form with a `.0` or
 * exponent so they stay REAL, text in quotes (carriage returns as char(13), text holding NUL as hex cast to TEXT), blobs X'..'.
 */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NULL';
    if (value === Infinity) return '9e999';
    if (value === -Infinity) return '-9e999';
    const text = String(value);
    return /[.eE]/.test(text) ? text : `${text}.0`;
  }
  if (typeof value === 'string') {
    if (value.includes('\0')) return `CAST(X'${Buffer.from(value, 'utf8').toString('hex')}' AS TEXT)`;
    // The sqlite3 shell drops a '\r' before a line end, so carriage returns go in as char(13).
    if (value.includes('\r'))
      return `(${value
        .split('\r')
        .map((p) => `'${p.replace(/'/g, "''")}'`)
        .join('||char(13)||')})`;
    return `'${value.replace(/'/g, "''")}'`;
  }
  if (Buffer.isBuffer(value)) return `X'${value.toString('hex')}'`;
  throw new Error(`Unexpected SQLite value of type ${typeof value}`);
}

/**
 * Writes a SQLite database as SQL that `sqlite3 new.db < dump.sql` loads: tables, their rows,
 * then indexes, triggers and views, all inside one transaction, like the sqlite3 shell's
 * `.dump`. Yields chunks of about `chunkSize` characters so the caller streams them;
 * `counts` receives the rows per table as they are written.
 */
export function* sqliteSqlDump(db: Database, counts: Record<string, number>, chunkSize = 64 * 1024): Generator<string> {
  let buf = 'PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n';
  const schema = db
    .prepare(`SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid`)
    .all() as SchemaRow[];
  const tables = schema.filter((r) => r.type === 'table' && !r.name.startsWith('sqlite_'));
  for (const table of tables) {
    if (/^CREATE\s+VIRTUAL\s+TABLE/i.test(table.sql!)) {
      buf += `${table.sql};\n`;
      continue; // its shadow tables carry the data
    }
    buf += `${table.sql};\n`;
    counts[table.name] = 0;
    const columns = (db.prepare(`PRAGMA table_xinfo(${quoteIdent(table.name)})`).all() as Array<{ name: string; hidden: number }>)
      .filter((c) => c.hidden === 0)
      .map((c) => quoteIdent(c.name));
    const prefix = `INSERT INTO ${quoteIdent(table.name)}(${columns.join(',')}) VALUES(`;
    const rows = db
      .prepare(`SELECT ${columns.join(',')} FROM ${quoteIdent(table.name)}`)
      .raw(true)
      .safeIntegers(true);
    for (const row of rows.iterate() as IterableIterator<unknown[]>) {
      buf += prefix + row.map(sqlLiteral).join(',') + ');\n';
      counts[table.name]++;
      if (buf.length >= chunkSize) {
        yield buf;
        buf = '';
      }
    }
  }
  if (schema.some((r) => r.name === 'sqlite_sequence')) {
    buf += 'DELETE FROM sqlite_sequence;\n';
    for (const row of db.prepare('SELECT name, seq FROM sqlite_sequence').raw(true).safeIntegers(true).iterate() as IterableIterator<
      unknown[]
    >) {
      buf += `INSERT INTO sqlite_sequence(name,seq) VALUES(${row.map(sqlLiteral).join(',')});\n`;
    }
  }
  for (const r of schema) {
    if (r.type === 'index' || r.type === 'trigger' || r.type === 'view') buf += `${r.sql};\n`;
  }
  buf += 'COMMIT;\n';
  yield buf;
}
