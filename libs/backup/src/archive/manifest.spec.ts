import { buildManifest, EntryRecord, manifestText } from './manifest';

const entries = (n: number): EntryRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    path: `files/a "b"\n\u00e9/${i}-entries-list`,
    kind: 'file',
    size: i,
    sha256: 'ab'.repeat(32),
    compressedSize: i + 1,
  }));

describe('manifestText', () => {
  it.each([
    ['no entries', buildManifest('shop', 'none', [], new Date(0), { tenant: { id: 1 } })],
    ['one entry', buildManifest('shop', 'aes256', entries(1), new Date(0))],
    [
      'many entries and extra keys after them',
      buildManifest('shop', 'aes256', entries(3000), new Date(0), { databases: [{ tables: { 'entries-list': 1 } }], at: new Date(0) }),
    ],
  ])('is JSON.stringify(manifest, null, 2) to the byte, in pieces (%s)', (_, manifest) => {
    const pieces = [...manifestText(manifest, 4096)];
    expect(Buffer.concat(pieces).toString('utf8')).toBe(JSON.stringify(manifest, null, 2));
    if (manifest.entries.length > 1000) expect(pieces.length).toBeGreaterThan(10);
  });
});
