import { ListingFormatError } from './listing.error';

export type TableCell = string | number | boolean | null | undefined;

export interface RenderTableOptions {
  /** Per column; default left. Numbers read better right-aligned. */
  align?: Array<'left' | 'right'>;
}

/**
 * A plain-text table in the box style Laravel's `$this->table()` prints, so `backup:list`
 * output looks familiar:
 *
 *   +------+-------+
 *   | Name | Disk  |
 *   +------+-------+
 *   | app  | local |
 *   +------+-------+
 *
 * Widths count terminal columns: emoji such as ✅ take two, combining marks none. Line breaks
 * inside a cell become spaces so a row stays one line.
 */
export function renderTable(headers: string[], rows: TableCell[][], options: RenderTableOptions = {}): string {
  const columns = headers.length;
  rows.forEach((row, i) => {
    if (row.length > columns) {
      throw new ListingFormatError(
        `Table row ${i + 1} has ${row.length} cells but there are only ${columns} headers.`,
        'Give every row at most one cell per header.',
      );
    }
  });
  const text = (cell: TableCell) => (cell === null || cell === undefined ? '' : String(cell)).replace(/\r?\n|\r/g, ' ');
  const head = headers.map(text);
  const body = rows.map((row) => head.map((_, c) => text(row[c])));
  const widths = head.map((h, c) => Math.max(displayWidth(h), ...body.map((r) => displayWidth(r[c]))));

  const pad = (value: string, c: number) => {
    const fill = ' '.repeat(widths[c] - displayWidth(value));
    return options.align?.[c] === 'right' ? fill + value : value + fill;
  };
  const line = (cells: string[]) => `| ${cells.map(pad).join(' | ')} |`;
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  return [rule, line(head), rule, ...body.map(line), ...(body.length ? [rule] : [])].join('\n');
}

const ZERO_WIDTH = /[\p{Mn}\p{Me}\u200B-\u200D\uFE0E\uFE0F]/u;
const WIDE = /[\p{Emoji_Presentation}\p{Script=Han}\p{Script=Hangul}\p{Script=Hiragana}\p{Script=Katakana}\u3000-\u303F\uFF01-\uFF60]/u;

/** Columns a string takes in a terminal (approximation of wcwidth, good for names and emoji). */
export function displayWidth(value: string): number {
  let width = 0;
  for (const ch of value) width += ZERO_WIDTH.test(ch) ? 0 : WIDE.test(ch) ? 2 : 1;
  return width;
}
