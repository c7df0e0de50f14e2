import { Transform, TransformCallback } from 'node:stream';

const NL = 0x0a;
const HEAD_LIMIT = 4096;

/**
 * Counts the rows of every table in a plain pg_dump as it streams past, unchanged. pg_dump
 * writes each table's data as `COPY schema.table (...) FROM stdin;`, one line per row (COPY's
 * text format escapes newlines inside values), ended by a `\.` line — and it emits that block
 * even for an empty table. The counts are therefore exactly the rows in this dump, taken in the
 * dump's own snapshot. Only the first few KB of each line are kept, so a huge row costs nothing.
 */
export class PgCopyCounter extends Transform {
  private readonly counts: Record<string, number> = {};
  private readonly blocks: string[] = [];
  private table: string | undefined;
  /** Rows of the current COPY block, added to its table at the block's end. */
  private rows = 0;
  /** Start of the current line (at most HEAD_LIMIT bytes) and its full length so far. */
  private head: Buffer[] = [];
  private headLength = 0;
  private lineLength = 0;

  tables(): Record<string, number> {
    const counts = { ...this.counts };
    if (this.table !== undefined) counts[this.table] += this.rows; // a block not ended (yet)
    return counts;
  }

  /** The table of every COPY block, in the order they streamed past. */
  copyBlocks(): string[] {
    return [...this.blocks];
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(NL, start);
      if (nl >= 0 && this.table !== undefined && this.lineLength === 0) {
        // Fast path: a whole row line inside a COPY block (millions of them) is counted without
        // keeping anything, so the stream makes no garbage per row.
        if (nl - start === 2 && chunk[start] === 0x5c && chunk[start + 1] === 0x2e) this.endBlock();
        else this.rows++;
        start = nl + 1;
        continue;
      }
      const end = nl < 0 ? chunk.length : nl;
      if (this.headLength < HEAD_LIMIT && end > start) {
        const part = chunk.subarray(start, Math.min(end, start + HEAD_LIMIT - this.headLength));
        this.head.push(part);
        this.headLength += part.length;
      }
      this.lineLength += end - start;
      if (nl < 0) break;
      this.endLine();
      start = nl + 1;
    }
    done(null, chunk);
  }

  private endBlock(): void {
    this.counts[this.table as string] += this.rows;
    this.rows = 0;
    this.table = undefined;
  }

  private endLine(): void {
    const head = this.head.length === 1 ? this.head[0] : Buffer.concat(this.head);
    if (this.table !== undefined) {
      if (this.lineLength === 2 && head[0] === 0x5c && head[1] === 0x2e) this.endBlock();
      else this.rows++;
    } else if (this.lineLength < HEAD_LIMIT && head[0] === 0x43 /* C */) {
      const line = head.toString('utf8');
      const name = parseCopyHeader(line);
      if (name !== undefined) {
        this.table = name;
        this.counts[name] ??= 0;
        this.blocks.push(name);
      }
    }
    this.head = [];
    this.headLength = 0;
    this.lineLength = 0;
  }
}

/** `COPY public.users (id, ...) FROM stdin;` → "users"; other schemas keep their prefix. */
export function parseCopyHeader(line: string): string | undefined {
  if (!line.startsWith('COPY ') || !line.endsWith(' FROM stdin;')) return undefined;
  const parts: string[] = [];
  let i = 5;
  for (;;) {
    if (line[i] === '"') {
      let name = '';
      i++;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') {
          name += '"';
          i += 2;
        } else if (line[i] === '"') break;
        else name += line[i++];
      }
      i++;
      parts.push(name);
    } else {
      const m = /^[^."\s(]+/.exec(line.slice(i));
      if (!m) return undefined;
      parts.push(m[0]);
      i += m[0].length;
    }
    if (line[i] === '.') i++;
    else break;
  }
  return qualifiedTableName(parts.length > 1 ? parts[0] : 'public', parts[parts.length - 1]);
}

/** The key used for a PostgreSQL table everywhere (facts, countRows): schema only if not public. */
export function qualifiedTableName(schema: string, table: string): string {
  return schema === 'public' ? table : `${schema}.${table}`;
}
