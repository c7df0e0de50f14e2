import { Transform, TransformCallback } from 'node:stream';
import { DumpRefusedError } from './source.errors';

const NL = 0x0a;
const BLANK = Buffer.from('\n');
/** The end of a line followed by one starting with `\.` (the end of a COPY block, or data). */
const COPY_END = Buffer.from('\n\\.');

/** Line ends in buf[from, to); indexOf is several times faster than a loop over the bytes. */
function countNewlines(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = buf.indexOf(NL, from); i >= 0 && i < to; i = buf.indexOf(NL, i + 1)) n++;
  return n;
}

/** Which client reads the dump: psql (pg_dump's plain SQL) or the mariadb/mysql client. */
export type DumpClient = 'psql' | 'mariadb';

/**
 * The long-form commands of the mariadb/mysql client (its `commands[]` table). The client runs
 * them when one is the first word of a line and no statement is pending.
 */
const MARIADB_COMMANDS = new Set([
  '?',
  'charset',
  'clear',
  'connect',
  'delimiter',
  'edit',
  'ego',
  'exit',
  'go',
  'help',
  'nopager',
  'notee',
  'nowarning',
  'pager',
  'print',
  'prompt',
  'quit',
  'rehash',
  'sandbox',
  'source',
  'status',
  'system',
  'tee',
  'use',
  'warnings',
]);

/**
 * A run of code characters of no meaning to the client's lexer (the delimiter is `;` or `;;`)
 * and of whole '...' / "..." strings (a backslash escapes anything in them).
 */
const MARIADB_RUN = /(?:[^\\#\-/'"`;]+|'[^'\\]*(?:\\[\s\S][^'\\]*){0,256}'|"[^"\\]*(?:\\[\s\S][^"\\]*){0,256}"){1,256}/y;
/** The rest of a '...' / "..." string up to its closing quote; a backslash escapes anything. */
const MARIADB_SQ_BODY = /[^'\\]*(?:\\[\s\S][^'\\]*){0,256}/y;
const MARIADB_DQ_BODY = /[^"\\]*(?:\\[\s\S][^"\\]*){0,256}/y;

/** What mariadb-dump writes for triggers and routines (`DELIMITER ;;` ... `DELIMITER ;`). */
const DUMP_DELIMITERS = new Set([';', ';;']);

/** pg_dump's own lines around the dump (since 13.22 / 14.19 / 15.14 / 16.10 / 17.6). */
const PG_RESTRICT_LINE = /^\\(restrict|unrestrict) [A-Za-z0-9]+\r?$/;

type LexState = 'code' | 'squote' | 'estring' | 'dquote' | 'backtick' | 'dollar' | 'block' | 'copy';

/**
 * Where the guard's output may be cut (psql only), at a line end given as an offset into the
 * output: `statement` — no statement is pending; `copy-header` — the line was a `COPY ... FROM
 * stdin;` and its data follows; `copy-end` — the line was the `\.` that ends the data.
 */
export interface GuardMark {
  offset: number;
  kind: 'statement' | 'copy-header' | 'copy-end';
}

/**
 * Sits between an archived dump and the client tool's stdin and lets through only SQL: a dump
 * is data, never a program. A client-side command (a psql meta-command such as `\!`, `\o`,
 * `\copy ... to program`, `\i`; the mariadb client's `system`, `\!`, `source`, `tee`, `pager`,
 * ...) fails the stream with a DumpRefusedError naming the line and the command, and that line
 * never reaches the client: each line is held back until it was read to its end, so at most one
 * line is buffered (for a COPY row or an INSERT, that row or statement).
 *
 * The lexer follows the client's own: quotes, E'' strings, dollar quotes, comments, COPY ...
 * FROM stdin data (where a line starting with `\` is data, except the `\.` that ends it), and
 * the mariadb client's `/*!` comments (which it reads as code) and DELIMITER. Where it cannot
 * tell the client's reading for sure, it refuses: a COPY must be pg_dump's one-line
 * `COPY ... FROM stdin;`, a DELIMITER `;` or `;;`. pg_dump's `\restrict`/`\unrestrict` lines are
 * allowed and sent on as blank lines (the loader puts psql in a restricted mode of its own).
 */
export class DumpGuard extends Transform {
  private state: LexState = 'code';
  private dollarTag = '';
  private commentDepth = 0;
  /** Bracket depth of the pending statement (psql ends a statement only at depth 0). */
  private parens = 0;
  /** No code since the last statement end (comments and blanks do not count). */
  private statementEmpty = true;
  private statementIsCopy = false;
  private delimiter = ';';
  private line = 0;
  /** The start of the current line, from earlier chunks (held back until the line ends). */
  private held: Buffer[] = [];
  /** Bytes pushed so far (the offsets of marks). */
  private emitted = 0;

  /** `onMark` (psql only) hears where the output may be cut, before the bytes are pushed. */
  constructor(
    private readonly client: DumpClient,
    private readonly onMark?: (mark: GuardMark) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const out: Buffer[] = [];
    let from = 0;
    let start = 0;
    try {
      for (;;) {
        if (this.state === 'copy' && !this.held.length && !(chunk[start] === 0x5c && chunk[start + 1] === 0x2e)) {
          // COPY rows (millions of them): only a line starting with `\.` matters, found by a
          // native search; the rows before it are counted for the line number only.
          const dot = chunk.indexOf(COPY_END, start);
          const end = dot >= 0 ? dot : chunk.lastIndexOf(NL);
          if (end < start) break;
          this.line += countNewlines(chunk, start, end + 1);
          start = end + 1;
          continue;
        }
        const nl = chunk.indexOf(NL, start);
        if (nl < 0) break;
        this.line++;
        const before = this.state;
        const whole = this.held.length ? Buffer.concat([...this.held, chunk.subarray(0, nl + 1)]) : undefined;
        // A COPY row (millions of them) is judged on its bytes, without making a string.
        const keep =
          this.state === 'copy'
            ? this.copyRow(whole ?? chunk.subarray(start, nl + 1))
            : this.judge((whole ?? chunk.subarray(start, nl + 1)).toString('latin1'));
        if (keep) {
          if (whole) {
            out.push(...this.held);
            this.held = [];
          }
        } else {
          // A line the client must not see but that is allowed: it goes on as a blank line.
          if (from < start) out.push(chunk.subarray(from, start));
          out.push(BLANK);
          this.held = [];
          from = nl + 1;
        }
        start = nl + 1;
        if (this.onMark) this.mark(before, out, start - from);
      }
    } catch (err) {
      return done(err as Error);
    }
    if (from < start) out.push(chunk.subarray(from, start));
    if (start < chunk.length) this.held.push(chunk.subarray(start));
    for (const part of out) {
      this.emitted += part.length;
      this.push(part);
    }
    done();
  }

  /** After a line: tells onMark where the output may be cut (`pending` bytes not yet in `out`). */
  private mark(before: LexState, out: Buffer[], pending: number): void {
    const kind =
      before === 'copy'
        ? this.state === 'code'
          ? 'copy-end'
          : undefined
        : this.state === 'copy'
          ? 'copy-header'
          : this.state === 'code' && this.statementEmpty
            ? 'statement'
            : undefined;
    if (!kind) return;
    let offset = this.emitted + pending;
    for (const part of out) offset += part.length;
    this.onMark!({ offset, kind });
  }

  override _flush(done: TransformCallback): void {
    if (!this.held.length) return done();
    const rest = Buffer.concat(this.held);
    this.held = [];
    try {
      this.line++;
      if (this.judge(rest.toString('latin1') + '\n')) {
        this.emitted += rest.length;
        this.push(rest);
      }
    } catch (err) {
      return done(err as Error);
    }
    done();
  }

  /**
   * Reads one whole line (with its `\n`) in the client's way; false for an allowed line that is
   * to be blanked. Latin-1 keeps one character per byte; every character that matters is ASCII.
   */
  private judge(line: string): boolean {
    if (this.state === 'copy') return this.copyRow(Buffer.from(line, 'latin1'));
    if (this.client === 'psql') {
      if (this.state === 'code' && this.statementEmpty && line[0] === '\\' && PG_RESTRICT_LINE.test(line.slice(0, -1))) return false;
      this.lexPsql(line);
    } else if (!this.mariadbLineStart(line)) this.lexMariadb(line);
    return true;
  }

  /** A line of COPY data is data; only `\.` alone on its line ends the block. */
  private copyRow(row: Buffer): boolean {
    if (row[0] === 0x5c && row[1] === 0x2e && (row.length === 3 || (row.length === 4 && row[2] === 0x0d))) this.state = 'code';
    return true;
  }

  private refuse(what: string): never {
    const tool = this.client === 'psql' ? 'pg_dump' : 'mariadb-dump';
    throw new DumpRefusedError(
      `the dump contains ${what} at line ${this.line}; a dump is loaded as data only — it was not made by ${tool} or it was altered`,
    );
  }

  private metaCommand(line: string, at: number): never {
    const name = /^\\([A-Za-z]+|[^A-Za-z\s]?)/.exec(line.slice(at))![0];
    this.refuse(this.client === 'psql' ? `a psql meta-command \`${name}\`` : `a mariadb client command \`${name}\``);
  }

  private lexPsql(line: string): void {
    const n = line.length;
    for (let i = 0; i < n; i++) {
      const ch = line[i];
      switch (this.state) {
        case 'code':
          if (ch === '\\') this.metaCommand(line, i);
          else if (ch === '-' && line[i + 1] === '-')
            return; // a comment to the line's end
          else if (ch === '/' && line[i + 1] === '*') {
            this.state = 'block';
            this.commentDepth = 1;
            i++;
          } else if (ch === "'") this.codeSeen(line, i, isEPrefix(line, i) ? 'estring' : 'squote');
          else if (ch === '"') this.codeSeen(line, i, 'dquote');
          else if (ch === '$' && !isIdentChar(line[i - 1])) {
            const tag = /^\$(?:[A-Za-z_\x80-\xff][A-Za-z_0-9\x80-\xff]*)?\$/.exec(line.slice(i, i + 256));
            if (tag) {
              this.codeSeen(line, i, 'dollar');
              this.dollarTag = tag[0];
              i += tag[0].length - 1;
            } else this.codeSeen(line, i);
          } else if (ch === '(' || ch === '[') {
            this.codeSeen(line, i);
            this.parens++;
          } else if (ch === ')' || ch === ']') {
            this.parens = Math.max(0, this.parens - 1);
          } else if (ch === ';' && this.parens === 0) this.endStatement(line, i);
          else if (ch !== ' ' && ch !== '\t' && ch !== '\n' && ch !== '\r' && ch !== '\f') this.codeSeen(line, i);
          break;
        case 'squote':
          if (ch === "'") this.state = 'code'; // a doubled quote leaves and re-enters
          break;
        case 'estring':
          if (ch === '\\') i++;
          else if (ch === "'") this.state = 'code';
          break;
        case 'dquote':
          if (ch === '"') this.state = 'code';
          break;
        case 'dollar': {
          const end = line.indexOf(this.dollarTag, i);
          if (end < 0) return;
          this.state = 'code';
          i = end + this.dollarTag.length - 1;
          break;
        }
        case 'block':
          if (ch === '*' && line[i + 1] === '/') {
            i++;
            if (--this.commentDepth === 0) this.state = 'code';
          } else if (ch === '/' && line[i + 1] === '*') {
            i++;
            this.commentDepth++;
          }
          break;
        case 'copy':
          // Copy data starts on the next line; the rest of this one was checked to be empty.
          return;
      }
    }
  }

  /** The first code character of a statement decides whether it is a COPY. */
  private codeSeen(line: string, i: number, next?: LexState): void {
    if (this.statementEmpty) {
      this.statementEmpty = false;
      this.statementIsCopy = this.client === 'psql' && /^copy\b/i.test(line.slice(i, i + 5));
      if (this.statementIsCopy && (i !== 0 || !isPgDumpCopyLine(line))) {
        this.refuse("a COPY statement other than pg_dump's `COPY ... FROM stdin;`");
      }
    }
    if (next) this.state = next;
  }

  private endStatement(line: string, i: number): void {
    if (this.statementIsCopy) {
      // pg_dump's COPY line ends at this `;`: the data block starts on the next line.
      if (line.slice(i + 1).trim() !== '') this.refuse("a COPY statement other than pg_dump's `COPY ... FROM stdin;`");
      this.state = 'copy';
    }
    this.statementEmpty = true;
    this.statementIsCopy = false;
    this.parens = 0;
  }

  /**
   * The mariadb client runs a long-form command that starts a line while no statement is
   * pending; true for a DELIMITER line (the whole line is the command).
   */
  private mariadbLineStart(line: string): boolean {
    if (this.state !== 'code' || !this.statementEmpty) return false;
    const word = /^[ \t\r\f]*([A-Za-z]+|\?)(?=[\s;]|$)/.exec(line)?.[1]?.toLowerCase();
    if (!word || !MARIADB_COMMANDS.has(word)) return false;
    if (word === 'delimiter') {
      const arg = line.trim().split(/\s+/)[1] ?? '';
      if (!DUMP_DELIMITERS.has(arg) || line.trim().split(/\s+/).length !== 2) this.refuse(`a mariadb client command \`DELIMITER ${arg}\``);
      this.delimiter = arg;
      return true;
    }
    this.refuse(`a mariadb client command \`${word}\``);
  }

  private lexMariadb(line: string): void {
    const n = line.length;
    for (let i = 0; i < n; i++) {
      switch (this.state) {
        case 'code': {
          // Plain code and whole strings (the bulk of an INSERT) are skipped by one native match.
          // (The regex takes a bounded number of tokens per call: its backtrack stack grows with
          // them, and a 100 MB INSERT line would overflow it.)
          MARIADB_RUN.lastIndex = i;
          let end = i;
          while (MARIADB_RUN.test(line)) end = MARIADB_RUN.lastIndex;
          if (end > i) {
            if (this.statementEmpty && /\S/.test(line.slice(i, end))) this.statementEmpty = false;
            i = end;
            if (i >= n) return;
          }
          const ch = line[i];
          if (ch === '\\') {
            // \N is NULL; \- turns the client's sandbox on (mariadb-dump's first line).
            if (line[i + 1] === 'N' || line[i + 1] === '-') {
              i++;
              this.statementEmpty = false;
            } else this.metaCommand(line, i);
          } else if (ch === '#') return;
          else if (ch === '-' && line[i + 1] === '-' && (line[i + 2] === undefined || line[i + 2] <= ' ')) return;
          else if (ch === '/' && line[i + 1] === '*' && line[i + 2] !== '!' && !(line[i + 2] === 'M' && line[i + 3] === '!')) {
            // `/*!` and `/*M!` are versioned code, read by the client as code.
            this.state = 'block';
            i++;
          } else if (ch === "'" || ch === '"' || ch === '`') {
            this.state = ch === "'" ? 'squote' : ch === '"' ? 'dquote' : 'backtick';
            this.statementEmpty = false;
          } else if (ch === this.delimiter[0] && line.startsWith(this.delimiter, i)) {
            i += this.delimiter.length - 1;
            this.statementEmpty = true;
          } else if (ch !== ' ' && ch !== '\t' && ch !== '\n' && ch !== '\r' && ch !== '\f') this.statementEmpty = false;
          break;
        }
        case 'squote':
        case 'dquote': {
          // The bulk of an INSERT is its strings: their bodies are skipped by one sticky regex.
          const body = this.state === 'squote' ? MARIADB_SQ_BODY : MARIADB_DQ_BODY;
          body.lastIndex = i;
          body.test(line);
          i = body.lastIndex;
          if (i >= n) return;
          if (line[i] === '\\')
            i--; // the regex's bound was reached: go on from this backslash
          else this.state = 'code';
          break;
        }
        case 'backtick':
          if (line[i] === '`') this.state = 'code';
          break;
        case 'block':
          if (line[i] === '*' && line[i + 1] === '/') {
            i++;
            this.state = 'code';
          }
          break;
        default:
          break;
      }
    }
  }
}

/** psql reads `E'...'` (or `e'...'`) with backslash escapes. */
function isEPrefix(line: string, quote: number): boolean {
  return (line[quote - 1] === 'E' || line[quote - 1] === 'e') && !isIdentChar(line[quote - 2]);
}

function isIdentChar(ch: string | undefined): boolean {
  return ch !== undefined && /[A-Za-z0-9_$\x80-\xff]/.test(ch);
}

/** pg_dump's COPY header, alone on its line: `COPY public.t (a, b) FROM stdin;`. */
function isPgDumpCopyLine(line: string): boolean {
  const text = line.replace(/\r?\n$/, '');
  return text.startsWith('COPY ') && text.endsWith(' FROM stdin;');
}

/**
 * Refuses a statement of a SQLite dump that reaches outside the database being loaded: a
 * dot-command (the sqlite3 shell's `.shell`, `.output`, `.read`, ...), ATTACH / DETACH (a file
 * of any name), VACUUM (VACUUM INTO writes one), load_extension (also refused by the
 * connection, which never enables extension loading). `firstLine` is the statement's first line
 * in the dump. Statements are whole (cut by SqliteStatementSplitter), so keywords are read
 * with strings and comments taken out.
 */
export function checkSqliteStatement(statement: string, firstLine: number): void {
  const code = statement.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|--[^\n]*|\/\*[\s\S]*?(?:\*\/|$)/g, (m) =>
    // A string becomes '', a comment blanks (its line breaks kept, for the line number); a
    // quoted name stays, so `"load_extension"(...)` is seen.
    m[0] === "'" ? "''" : m[0] === '-' || m[0] === '/' ? m.replace(/[^\n]/g, ' ') : m,
  );
  const lead = /^\s*/.exec(code)![0];
  const line = firstLine + (lead.match(/\n/g)?.length ?? 0);
  const refuse = (what: string): never => {
    throw new DumpRefusedError(
      `the dump contains ${what} at line ${line}; a dump is loaded as data only — it was not made by this library or it was altered`,
    );
  };
  const rest = code.slice(lead.length);
  if (rest.startsWith('.')) refuse(`a sqlite3 dot-command \`${/^\.\S*/.exec(rest)![0]}\``);
  const words =
    rest
      .match(/^[A-Za-z_]+(?:\s+[A-Za-z_]+)?(?:\s+[A-Za-z_]+)?/)?.[0]
      .toUpperCase()
      .split(/\s+/) ?? [];
  const verb = words[0] === 'EXPLAIN' ? (words[1] === 'QUERY' ? words[3] : words[1]) : words[0];
  if (verb === 'ATTACH' || verb === 'DETACH') refuse(`an SQLite \`${verb}\` statement`);
  if (verb === 'VACUUM') refuse(`an SQLite \`${/\bINTO\b/i.test(rest) ? 'VACUUM INTO' : 'VACUUM'}\` statement`);
  if (/load_extension/i.test(rest)) refuse("a call of SQLite's `load_extension`");
}
