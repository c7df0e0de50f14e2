import { Transform, TransformCallback } from 'node:stream';

const NL = 0x0a;
const BACKSLASH = 0x5c;
const QUOTE = 0x27;
const DQUOTE = 0x22;
const OPEN = 0x28;
const CLOSE = 0x29;
const SEMI = 0x3b;
const HEAD_LIMIT = 1024;

/**
 * Counts the rows of every table in a mysqldump / mariadb-dump as it streams past, unchanged.
 * With `--single-transaction` the tool reads every table inside one consistent-snapshot
 * transaction, so counting the `(...)` tuples of its `INSERT INTO \`t\` VALUES` statements
 * gives exactly the rows of that snapshot — no second connection, no "approximately the same
 * instant". Tables come from their `CREATE TABLE` lines so an empty one counts 0. Strings are
 * tracked (quotes, backslash escapes) so parentheses inside values are not counted.
 */
export class MysqlInsertCounter extends Transform {
  private readonly counts: Record<string, number> = {};
  private mode: 'head' | 'skip' | 'values' = 'head';
  private head = '';
  private table = '';
  private depth = 0;
  private quote = 0;
  private escaped = false;

  tables(): Record<string, number> {
    return { ...this.counts };
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (this.mode === 'values') {
        if (this.quote) {
          if (this.escaped) this.escaped = false;
          else if (b === BACKSLASH) this.escaped = true;
          else if (b === this.quote) this.quote = 0;
        } else if (b === QUOTE || b === DQUOTE) this.quote = b;
        else if (b === OPEN) {
          if (this.depth++ === 0) this.counts[this.table]++;
        } else if (b === CLOSE) this.depth--;
        else if (b === SEMI && this.depth === 0) this.mode = 'skip';
      } else if (b === NL) {
        const counting = this.mode === 'head' && this.onLine(this.head, true);
        if (!counting) this.mode = 'head';
        this.head = '';
      } else if (this.mode === 'head') {
        this.head += String.fromCharCode(b);
        if (this.head.length >= 14 && this.onLine(this.head, false)) continue;
        if (this.head.length >= HEAD_LIMIT) this.mode = 'skip';
      }
    }
    done(null, chunk);
  }

  /** Looks at the start of a line; returns true when it switched to counting values. */
  private onLine(latin1: string, complete: boolean): boolean {
    if (latin1.startsWith('INSERT INTO `')) {
      // mysqldump: "INSERT INTO `t` VALUES (1,...),(2,...);" on one line;
      // mariadb-dump 10.11+: "INSERT INTO `t` VALUES" then one "(...)," line per row.
      const end = latin1.indexOf('` VALUES');
      if (end < 0) return false;
      const next = latin1[end + 8];
      if (next === undefined ? !complete : next !== ' ') return false;
      this.table = decodeName(latin1.slice(13, end));
      this.counts[this.table] ??= 0;
      this.mode = 'values';
      this.depth = 0;
      this.quote = 0;
      this.escaped = false;
      return true;
    }
    if (latin1.startsWith('CREATE TABLE `')) {
      const end = latin1.indexOf('` (');
      if (end >= 0) this.counts[decodeName(latin1.slice(14, end))] ??= 0;
      if (end >= 0 || complete) this.mode = 'skip';
      return end >= 0;
    }
    if (latin1.length >= 14 && !complete) this.mode = 'skip';
    return false;
  }
}

/** Bytes were collected one per char; turn them back into UTF-8 and undo `` escaping. */
function decodeName(latin1: string): string {
  return Buffer.from(latin1, 'latin1').toString('utf8').replace(/``/g, '`');
}
