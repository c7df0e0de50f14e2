/**
 * Cuts a stream of SQLite SQL text into complete statements without holding more than the
 * current statement. A `;` ends a statement unless it is inside a string, quoted identifier or
 * comment, or inside a CREATE TRIGGER body (which ends with `END;`).
 */
export class SqliteStatementSplitter {
  private pending = '';
  /** Scan position inside `pending` and the lexer state there. */
  private pos = 0;
  private state: 'code' | "'" | '"' | '`' | '[' | 'line' | 'block' = 'code';

  /** Adds text; returns the statements it completed (each with its `;`). */
  push(text: string): string[] {
    this.pending += text;
    const out: string[] = [];
    const s = this.pending;
    let start = 0;
    let i = this.pos;
    while (i < s.length) {
      const ch = s[i];
      switch (this.state) {
        case 'code':
          if (ch === "'" || ch === '"' || ch === '`' || ch === '[') this.state = ch;
          else if (ch === '-' && s[i + 1] === '-') this.state = 'line';
          else if (ch === '-' && i + 1 === s.length) return this.keep(out, start, i);
          else if (ch === '/' && s[i + 1] === '*') this.state = 'block';
          else if (ch === '/' && i + 1 === s.length) return this.keep(out, start, i);
          else if (ch === ';') {
            const stmt = s.slice(start, i + 1);
            if (!isOpenTrigger(stmt)) {
              if (stmt.trim() !== ';') out.push(stmt);
              start = i + 1;
            }
          }
          break;
        case "'":
        case '"':
        case '`':
          // A doubled quote is an escaped quote: leaving and re-entering the state handles it.
          if (ch === this.state) this.state = 'code';
          break;
        case '[':
          if (ch === ']') this.state = 'code';
          break;
        case 'line':
          if (ch === '\n') this.state = 'code';
          break;
        case 'block':
          if (ch === '*' && s[i + 1] === '/') {
            this.state = 'code';
            i++;
          } else if (ch === '*' && i + 1 === s.length) return this.keep(out, start, i);
          break;
      }
      i++;
    }
    return this.keep(out, start, i);
  }

  /** Whatever is left when the input ended (should be only whitespace or comments). */
  rest(): string {
    return this.pending;
  }

  private keep(out: string[], start: number, pos: number): string[] {
    this.pending = this.pending.slice(start);
    this.pos = pos - start;
    return out;
  }
}

/** A CREATE TRIGGER whose body has not reached its final `END;` yet. */
function isOpenTrigger(stmt: string): boolean {
  const code = stmt.replace(/--[^\n]*\n|\/\*[\s\S]*?\*\//g, ' ');
  if (!/^\s*CREATE\s+(TEMP\s+|TEMPORARY\s+)?TRIGGER\b/i.test(code)) return false;
  return !/\bEND\s*;$/i.test(code.trimEnd());
}
