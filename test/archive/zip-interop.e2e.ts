import { execFileSync } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ZipReader } from '../../libs/backup/src/archive';
import { bsdtarPath, createAesWith7z, extractWith7z, run7z, testWith7z } from '../support/seven-zip';
import { PASSWORD, readAll, sqlText, tempDir, TestEntry, writeArchive } from './archive.fixtures';

describe('archives interoperate with 7-Zip and bsdtar', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const entries: TestEntry[] = [
    { name: 'db/shop.sql', data: sqlText(40_000), kind: 'database-dump' },
    {
      name: 'files/ünïcødé naïve €.txt',
      data: Buffer.from('héllo wörld\n'.repeat(1000)),
      mtime: new Date('2024-05-06T07:08:10Z'),
      mode: 0o600,
    },
    { name: 'files/tiny.bin', data: Buffer.from([1, 2, 3]) },
    { name: 'files/empty.txt', data: Buffer.alloc(0) },
    { name: 'files/random.bin', data: Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251)) },
  ];

  beforeAll(async () => ({ dir, cleanup } = await tempDir()));
  afterAll(() => cleanup());

  for (const [label, options] of [
    ['AES-256 + deflate 6', { encryption: 'aes256', level: 6 }],
    ['AES-256 + stored', { encryption: 'aes256', level: 0 }],
    ['unencrypted deflate 9, forced ZIP64', { encryption: 'none', level: 9, forceZip64: true }],
  ] as const) {
    it(`${label}: 7-Zip extracts every entry byte-identical`, async () => {
      const archive = join(dir, `${label.replace(/\W+/g, '-')}.zip`);
      const summary = await writeArchive(archive, entries, options, { databases: [{ name: 'shop' }] });
      expect(summary.bytes).toBe((await stat(archive)).size);
      expect(summary.sha256).toBe(execFileSync('sha256sum', [archive], { encoding: 'utf8' }).split(' ')[0]);
      const out = join(dir, `${label.replace(/\W+/g, '-')}-7z`);
      const result = await extractWith7z(archive, out, options.encryption === 'aes256' ? PASSWORD : undefined);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      for (const e of entries) expect((await readFile(join(out, e.name))).equals(e.data)).toBe(true);
      const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
      expect(manifest).toMatchObject({
        formatVersion: 1,
        library: 'nest-backup',
        appName: 'test-app',
        encryption: options.encryption,
        databases: [{ name: 'shop' }],
      });
      expect(manifest.entries).toHaveLength(entries.length);
      expect(manifest.entries[0]).toEqual({
        path: 'db/shop.sql',
        kind: 'database-dump',
        size: entries[0].data.length,
        sha256: summary.entries[0].sha256,
      });
      expect(JSON.stringify(manifest)).not.toContain(PASSWORD);
      // Mode and modification time survive.
      const unicode = await stat(join(out, entries[1].name));
      expect(unicode.mode & 0o777).toBe(0o600);
      expect(unicode.mtime.toISOString()).toBe('2024-05-06T07:08:10.000Z');
    });
  }

  it('bsdtar extracts an AES-256 archive byte-identical (when installed)', async () => {
    const bsdtar = bsdtarPath();
    if (!bsdtar) {
      console.log('bsdtar is not installed (apt-get install libarchive-tools): checked with 7-Zip only');
      return;
    }
    const archive = join(dir, 'for-bsdtar.zip');
    await writeArchive(archive, entries, { level: 6 });
    const out = join(dir, 'bsdtar-out');
    await mkdir(out);
    execFileSync(bsdtar, ['-xf', archive, '--passphrase', PASSWORD, '-C', out]);
    for (const e of entries) expect((await readFile(join(out, e.name))).equals(e.data)).toBe(true);
  });

  it('7-Zip rejects a wrong password', async () => {
    const archive = join(dir, 'wrong-pw.zip');
    await writeArchive(archive, entries.slice(0, 2));
    const result = await testWith7z(archive, 'not the password');
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/Wrong password/i);
    expect((await testWith7z(archive, PASSWORD)).stdout).toMatch(/Everything is Ok/);
  });

  for (const method of ['deflate', 'store'] as const) {
    it(`reads a 7-Zip -mem=AES256 archive (${method}) byte-identical`, async () => {
      const src = join(dir, `src-${method}`);
      await mkdir(join(src, 'sub'), { recursive: true });
      const files = {
        'dump.sql': sqlText(20_000, 7),
        'sub/notes.txt': Buffer.from('ünïcødé\n'.repeat(50)),
        'sub/one.txt': Buffer.from('x'),
      };
      for (const [name, data] of Object.entries(files)) await writeFile(join(src, name), data);
      const archive = join(dir, `by-7z-${method}.zip`);
      const made = await createAesWith7z(archive, src, Object.keys(files), PASSWORD, method);
      expect(made.code).toBe(0);
      const reader = await ZipReader.open(archive, { password: PASSWORD });
      try {
        const listed = reader.entries();
        for (const [name, data] of Object.entries(files)) {
          const info = listed.find((e) => e.name === name);
          expect(info).toMatchObject({ size: data.length, encrypted: true });
          // 7-Zip stores tiny files even when asked to deflate; the dump is deflated.
          if (name === 'dump.sql') expect(info?.method).toBe(method === 'store' ? 0 : 8);
          expect((await readAll(await reader.openEntry(name))).equals(data)).toBe(true);
        }
        const report = await reader.verify();
        expect(report.faults).toEqual([]);
        expect(report.ok).toBe(true);
      } finally {
        await reader.close();
      }
    });
  }

  it('7-Zip lists the WinZip AES method and the reader agrees on sizes', async () => {
    const archive = join(dir, 'listing.zip');
    await writeArchive(archive, entries);
    const listing = await run7z(['l', '-slt', `-p${PASSWORD}`, archive]);
    expect(listing.stdout).toMatch(/Method = AES-256 Deflate/);
    const reader = await ZipReader.open(archive, { password: PASSWORD });
    expect(reader.entries().map((e) => e.name)).toEqual([...entries.map((e) => e.name), 'manifest.json']);
    await reader.close();
  });
});
