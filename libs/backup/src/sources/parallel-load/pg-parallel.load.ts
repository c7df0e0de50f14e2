import { ParallelLoad } from './parallel.load';
import { GuardMark } from '../dump-guard';
import { parseCopyHeader } from '../pg-copy.counter';

const NL = 0x0a;
/** Rows are handed to a session in pieces of about this size (each its own COPY). */
const PIECE_BYTES = 2 * 1024 * 1024;
const COPY_END_LINE = Buffer.from('\\.\n');

/** What the first code line of a statement says about where it may run. */
type Kind = 'setting' | 'sequence-value' | 'index' | 'other';

/**
 * The statement's code without `--` comment lines and blank lines, on one line; by default only
 * its first 2,000 characters, which is enough to tell its kind (what a statement says at its end,
 * such as a table's `PARTITION BY`, needs `whole`). Undefined when there is none.
 */
export function codeOf(text: string, whole = false): string | undefined {
  const lines: string[] = [];
  for (const line of (whole ? text : text.slice(0, 4000)).split('\n')) {
    const t = line.trim();
    if (t && !t.startsWith('--')) lines.push(t);
  }
  if (!lines.length) return undefined;
  const code = lines.join(' ');
  return whole ? code : code.slice(0, 2000);
}

/**
 * pg_dump writes one statement per line start; what it writes for indexes and primary-key or
 * unique constraints depends on nothing but its table, so those may run side by side once the
 * data is in. Anything else keeps its place in the order.
 */
export function statementKind(code: string): Kind {
  if (/^SET \w+ (=|TO) /i.test(code) || /^SELECT pg_catalog\.set_config\(/.test(code)) return 'setting';
  if (/^SELECT pg_catalog\.setval\(/.test(code)) return 'sequence-value';
  if (/^CREATE (UNIQUE )?INDEX /.test(code)) return 'index';
  if (/^ALTER TABLE ONLY [^;]* ADD CONSTRAINT [^;]* (PRIMARY KEY|UNIQUE) \(/.test(code) && !/ FOREIGN KEY /.test(code)) return 'index';
  return 'other';
}

const CONSTRAINT_INDEX = /^ALTER TABLE ONLY (\S+) ADD CONSTRAINT (\S+) (PRIMARY KEY|UNIQUE) \(([^()]*)\);$/;

/**
 * `ALTER TABLE ONLY t ADD CONSTRAINT c PRIMARY KEY (cols);` takes an ACCESS EXCLUSIVE lock for
 * the whole index build, so no other index of that table can be built beside it. Built as
 * `CREATE UNIQUE INDEX c ON t (cols)` (a SHARE lock, which index builds share) and then made the
 * constraint with `... USING INDEX c` (a catalog change), the result is the same constraint on the
 * same index. Only for a plain table (USING INDEX is refused on a partitioned one; a partition's
 * index is attached to its parent's afterwards) and only for pg_dump's plain form: any option
 * (DEFERRABLE, INCLUDE, WITH, USING INDEX TABLESPACE, NULLS NOT DISTINCT) keeps the statement as it is.
 */
export function splitConstraintIndex(code: string, plainTables: ReadonlySet<string>): string | undefined {
  const m = CONSTRAINT_INDEX.exec(code);
  if (!m || !plainTables.has(m[1])) return undefined;
  const [, table, name, kind, columns] = m;
  return `CREATE UNIQUE INDEX ${name} ON ${table} USING btree (${columns});\nALTER TABLE ONLY ${table} ADD CONSTRAINT ${name} ${kind} USING INDEX ${name};\n`;
}

/**
 * Tables pg_dump creates plain (not partitioned, not a partition, no parents). `PARTITION BY` and
 * `INHERITS` come after the columns, so a wide table's whole statement is read, not its start.
 */
export function notePlainTable(text: string, code: string, plainTables: Set<string>): void {
  const created = /^CREATE TABLE (\S+) \(/.exec(code);
  if (created) {
    const whole = codeOf(text, true) ?? code;
    if (!/\) (PARTITION BY|INHERITS) /.test(whole) && !/ PARTITION OF /.test(whole)) plainTables.add(created[1]);
  }
  const attached = /^ALTER TABLE (?:ONLY )?\S+ ATTACH PARTITION (\S+) /.exec(code);
  if (attached) plainTables.delete(attached[1]);
}

/**
 * Loads a plain pg_dump over several psql sessions at once, as `pg_restore -j` does for its own
 * format: the schema (everything before the first COPY) runs on the first session; each table's
 * rows are cut into pieces of about 2 MiB, each piece its own `COPY ... FROM stdin` on the session
 * with the least work queued, so one big table loads over every session; after the data, the
 * indexes and primary-key / unique constraints are built side by side, and every other statement
 * runs on the first session in the dump's order, after everything before it has finished.
 *
 * It reads the output of a DumpGuard (so nothing but SQL and COPY data arrives) and the guard's
 * marks, which say where a statement, a COPY header or a COPY block ends; nothing is held but the
 * pending piece of each table. Settings (`SET ...`, `set_config`) are given to every session
 * before its next piece of work. The sessions commit as they go: the caller loads into a staging
 * or new database that is dropped if the load fails, which is what makes it all or nothing.
 */
export class ParallelPgLoad extends ParallelLoad {
  private mode: 'sql' | 'copy' = 'sql';
  private phase: 'schema' | 'data' | 'after' = 'schema';
  private sql: Buffer[] = [];
  private copyHeader = '';
  private copyTable = '';
  private copyRows: Buffer[] = [];
  private copyBytes = 0;
  private copyPieces = 0;
  private readonly plainTables = new Set<string>();
  private readonly streamed: Record<string, number> = {};
  private readonly acknowledged: Record<string, number> = {};
  private countsTrusted = true;

  /** The rows per table as the sessions acknowledged them, or undefined if they do not add up. */
  rowCounts(): Record<string, number> | undefined {
    if (!this.countsTrusted) return undefined;
    const tables = new Set([...Object.keys(this.streamed), ...Object.keys(this.acknowledged)]);
    for (const t of tables) if (this.streamed[t] !== this.acknowledged[t]) return undefined;
    return { ...this.acknowledged };
  }

  protected async take(bytes: Buffer): Promise<void> {
    if (!bytes.length) return;
    if (this.mode === 'sql') {
      this.sql.push(bytes);
      return;
    }
    this.copyRows.push(bytes);
    this.copyBytes += bytes.length;
    if (this.copyBytes < PIECE_BYTES) return;
    const rows = this.copyRows.length === 1 ? this.copyRows[0] : Buffer.concat(this.copyRows);
    // The last line is held back: it may be the block's own `\.`, which no piece may carry.
    const limit = rows.lastIndexOf(NL, rows.length - 2) + 1;
    let start = 0;
    while (limit - start >= PIECE_BYTES) {
      let end = rows.lastIndexOf(NL, start + PIECE_BYTES - 1) + 1;
      if (end <= start) end = rows.indexOf(NL, start + PIECE_BYTES - 1) + 1; // a row longer than a piece
      if (end <= start || end > limit) end = limit;
      await this.sendPiece(rows.subarray(start, end));
      start = end;
    }
    this.copyRows = start < rows.length ? [rows.subarray(start)] : [];
    this.copyBytes = rows.length - start;
  }

  protected async atMark(kind: GuardMark['kind']): Promise<void> {
    if (kind === 'copy-end') {
      // The block's own `\.` line is the last thing taken; each piece gets its own.
      const rows = Buffer.concat(this.copyRows);
      const end = rows.lastIndexOf(NL, rows.length - 2) + 1;
      this.copyRows = [];
      this.copyBytes = 0;
      if (end > 0 || this.copyPieces === 0) await this.sendPiece(rows.subarray(0, end));
      this.mode = 'sql';
      return;
    }
    const text = Buffer.concat(this.sql).toString('utf8');
    const code = codeOf(text);
    if (kind === 'statement') {
      if (code === undefined) return; // only comments so far: they go with the next statement
      this.sql = [];
      return this.statement(text, code);
    }
    // copy-header: the last line taken is `COPY ... FROM stdin;`; what came before it is comments.
    this.sql = [];
    const header = text.trimEnd().split('\n').pop()!;
    const table = parseCopyHeader(header.trim());
    if (table === undefined) this.countsTrusted = false;
    if (this.phase !== 'data' || this.firstBusy) await this.settleFirst();
    this.phase = 'data';
    this.mode = 'copy';
    this.copyHeader = header.trim() + '\n';
    this.copyTable = table ?? header;
    this.copyPieces = 0;
    this.streamed[this.copyTable] ??= 0;
    this.acknowledged[this.copyTable] ??= 0;
  }

  private async statement(text: string, code: string): Promise<void> {
    const kind = statementKind(code);
    if (kind === 'setting') return this.setting(text);
    notePlainTable(text, code, this.plainTables);
    if (this.phase === 'schema' || kind === 'sequence-value') return this.writeFirst(text);
    if (kind === 'index') {
      text = splitConstraintIndex(code, this.plainTables) ?? text;
      // The first index waits for all the data: built while rows still arrive, it would be slower.
      if (this.phase === 'data') await this.settleRunning();
      this.phase = 'after';
      if (this.firstBusy) await this.settleFirst();
      return this.dispatch([Buffer.from(text)], Buffer.byteLength(text), () => undefined);
    }
    // Ordered: after everything running side by side, on the first session.
    this.phase = 'after';
    await this.settleRunning();
    return this.writeFirst(text);
  }

  private async sendPiece(rows: Buffer): Promise<void> {
    const table = this.copyTable;
    let n = 0;
    for (let i = rows.indexOf(NL); i >= 0; i = rows.indexOf(NL, i + 1)) n++;
    this.streamed[table] += n;
    this.copyPieces++;
    await this.dispatch([this.copyHeader, rows, COPY_END_LINE], rows.length, (tags) => {
      if (tags.length !== 1) this.countsTrusted = false;
      this.acknowledged[table] += tags.reduce((a, b) => a + b, 0);
    });
  }

  protected async finish(): Promise<void> {
    const rest = Buffer.concat(this.sql).toString('utf8');
    const code = codeOf(rest);
    if (code !== undefined) await this.statement(rest, code);
    await this.settleRunning();
    await this.settleFirst();
  }
}
