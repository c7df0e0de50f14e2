import { buildManifest, EntryRecord, manifestText } from './manifest';
import { ManifestParser } from './manifest.parser';

/** The text fed in pieces of `size` characters (1: every boundary, inside escapes and keys too). */
function parseInPieces(text: string, size: number, onEntry?: (e: unknown) => unknown): unknown {
  const parser = new ManifestParser(onEntry);
  for (let i = 0; i < text.length; i += size) parser.write(text.slice(i, i + size));
  return parser.end();
}

const entries = (n: number): EntryRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    path: `files/{a} "b" [c],\\\n\u00e9/${i}`,
    kind: 'file',
    size: i,
    sha256: 'ab'.repeat(32),
    compressedSize: i + 1,
  }));

describe('ManifestParser', () => {
  const written = Buffer.concat([
    ...manifestText(buildManifest('shop', 'aes256', entries(500), new Date(0), { databases: [{ tables: { entries: [1, 2] } }] }), 4096),
  ]).toString('utf8');

  // Texts JSON.parse reads; the parser must give the same value for each, in pieces of any size.
  const valid: Array<[string, string]> = [
    ['a manifest as the writer writes it', written],
    ['the same, compact', JSON.stringify(JSON.parse(written))],
    ['no entries', '{"formatVersion":1,"entries":[]}'],
    ['an empty object', ' {} '],
    ['entries of other shapes (nested lists, numbers, null)', '{"entries":[ {"path":"a","x":[[1],{"y":"]"}]}, 1e3, null, "s,]" ,[ ] ]}'],
    ['the key written with escapes', '{"entr\\u0069es":[{"path":"p"}],"a":"\\"entries\\":["}'],
    ['entries twice: the last one counts', '{"entries":[{"path":"first"}],"b":1,"entries":[{"path":"second"}]}'],
    ['entries as a list, then as a number', '{"entries":[{"path":"p"}],"entries":5}'],
    ['entries as a number, then as a list', '{"entries":5,"entries":[{"path":"p"}]}'],
    ['a __proto__ key', '{"__proto__":{"polluted":true},"entries":[]}'],
    ['a key with a colon and brackets', '{"a:[b]":"{","entries":[]}'],
  ];

  it.each(valid)('reads %s as JSON.parse does', (_, text) => {
    for (const size of [1, 7, 4096, text.length]) {
      const parsed = parseInPieces(text, size);
      expect(JSON.stringify(parsed)).toBe(JSON.stringify(JSON.parse(text)));
      expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    }
  });

  it('hands every element of entries to onEntry once, in order, and keeps what it returns', () => {
    const seen: string[] = [];
    const parsed = parseInPieces(written, 100, (e) => {
      seen.push((e as { path: string }).path);
      return { ...(e as object), seen: true };
    }) as { entries: Array<{ path: string; seen: boolean }> };
    expect(seen).toEqual(entries(500).map((e) => e.path));
    expect(parsed.entries.every((e) => e.seen)).toBe(true);
  });

  // Texts JSON.parse refuses; the parser must refuse them too, with a SyntaxError.
  const invalid: Array<[string, string]> = [
    ['the text cut short', written.slice(0, -3)],
    ['the text cut inside entries', written.slice(0, 2000)],
    ['text after the end', '{"entries":[]} x'],
    ['a second object after the end', '{"entries":[]}{}'],
    ['a trailing comma in entries', '{"entries":[{"path":"a"},]}'],
    ['a trailing comma in the object', '{"entries":[],}'],
    ['a lone comma', '{,}'],
    ['a missing comma between entries', '{"entries":[{"path":"a"} {"path":"b"}]}'],
    ['text after the entries list', '{"entries":[] 1}'],
    ['a brace closing the entries list', '{"entries":[{"path":"a"}}'],
    ['a bracket closing the object', '{"a":1]'],
    ['an invalid element', '{"entries":[{"path":a}]}'],
    ['an unterminated string', '{"entries":[{"path":"a}]}'],
    ['an empty text', ''],
  ];

  it.each(invalid)('refuses %s as JSON.parse does', (_, text) => {
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    for (const size of [1, 5, Math.max(1, text.length)]) expect(() => parseInPieces(text, size)).toThrow(SyntaxError);
  });

  it.each(['[{"entries":[]}]', '5', '"{}"', 'null'])('refuses JSON that is not an object (%s)', (text) => {
    expect(() => parseInPieces(text, 1)).toThrow('the manifest is not a JSON object');
  });
});
