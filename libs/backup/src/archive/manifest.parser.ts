/**
 * manifest.json parsed piece by piece, to the same result as `JSON.parse` of the whole text.
 *
 * Why: the manifest of 70,000 entries is 14 MB of text. Joined into one string and parsed whole,
 * it took 57 MB of heap for a moment (the pieces, the joined string, the parsed objects), which
 * stayed as garbage in the old generation for the rest of a verify or restore and was a fifth of
 * its peak RSS (issue 20). Here each element of `entries` is cut out as its own small text and
 * parsed alone, so the only text held at once is one element (or one other top-level member).
 *
 * Only the top level is split: the object's members, and the elements of an `entries` array.
 * Everything inside them is left to `JSON.parse`, so escapes, numbers and nesting follow it
 * exactly; duplicate keys keep the last value, as `JSON.parse` does.
 */
export class ManifestParser {
  /** Depth of brackets and braces outside strings; 1 = inside the top-level object. */
  private depth = 0;
  private inString = false;
  private escaped = false;
  private closed = false;
  /** The text of the member (or element) being read, from earlier pieces. */
  private carry = '';
  /** Every top-level member as JSON text, an `entries` array as `[]` in its place. */
  private readonly members: string[] = [];
  /** The elements of the last `entries` array, parsed one by one. */
  private entries: unknown[] = [];
  /** Inside an `entries` array (depth 2 is its own level). */
  private inEntries = false;
  /** `"entries":` of the array being read, to stand in the member list with `[]` after it. */
  private entriesHead?: string;

  /** `onEntry` may replace an element (the reader shares the entry's name string with it). */
  constructor(private readonly onEntry: (entry: unknown) => unknown = (e) => e) {}

  write(piece: string): void {
    let start = 0;
    for (let i = 0; i < piece.length; i++) {
      const c = piece.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
        continue;
      }
      if (this.depth === 0) {
        if (isSpace(c)) continue;
        if (this.closed) throw new SyntaxError('unexpected text after the end of the manifest');
        if (c !== OPEN_BRACE) throw new SyntaxError('the manifest is not a JSON object');
        this.depth = 1;
        start = i + 1;
      } else if (c === QUOTE) {
        this.inString = true;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        if (this.depth === 1 && c === OPEN_BRACKET && isEntriesKey(this.carry + piece.slice(start, i))) {
          this.entriesHead = this.carry + piece.slice(start, i);
          this.entries = [];
          this.inEntries = true;
          this.carry = '';
          start = i + 1;
        }
        this.depth++;
      } else if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (this.depth === 2 && this.inEntries) {
          if (c === CLOSE_BRACE) throw new SyntaxError('unbalanced brackets in the "entries" list');
          this.element(piece.slice(start, i), c === CLOSE_BRACKET);
          start = i + 1;
        } else if (this.depth === 1) {
          if (c === CLOSE_BRACKET) throw new SyntaxError('unbalanced brackets');
          this.member(piece.slice(start, i));
          start = i + 1;
        }
        if (c === COMMA) continue;
        this.depth--;
        if (this.depth === 0) this.closed = true;
      }
    }
    if (this.depth > 0) this.carry += piece.slice(start);
  }

  /** The parsed manifest; a SyntaxError when the text ended early or is not valid JSON. */
  end(): Record<string, unknown> {
    if (!this.closed || this.depth > 0) throw new SyntaxError('the manifest ends before its closing brace');
    const result = JSON.parse(`{${this.members.join(',')}}`) as Record<string, unknown>;
    // An array can only be the stand-in: every array under "entries" was read element by element.
    if (Array.isArray(result.entries)) result.entries = this.entries;
    return result;
  }

  /** A top-level member ends (for an `entries` array: what followed its closing bracket). */
  private member(tail: string): void {
    let text = this.carry + tail;
    this.carry = '';
    if (this.entriesHead !== undefined) {
      text = `${this.entriesHead}[]${text}`;
      this.entriesHead = undefined;
    }
    this.members.push(text);
  }

  /** An element of `entries` ends; `last` at the closing bracket. */
  private element(tail: string, last: boolean): void {
    const text = this.carry + tail;
    this.carry = '';
    if (last) this.inEntries = false;
    if (last && this.entries.length === 0 && text.trim() === '') return; // `[]`
    this.entries.push(this.onEntry(JSON.parse(text)));
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Whether a member's text up to its value is the key "entries" (however it is escaped) and its colon. */
function isEntriesKey(head: string): boolean {
  const m = /^\s*("(?:[^"\\]|\\.)*")\s*:\s*$/s.exec(head);
  if (!m) return false;
  try {
    return JSON.parse(m[1]) === 'entries';
  } catch {
    return false;
  }
}
