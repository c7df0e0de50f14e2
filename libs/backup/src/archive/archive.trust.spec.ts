import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UnauthenticatedArchiveError } from './archive.errors';
import { plainEntries, requireAuthenticated, unencryptedWarning } from './archive.trust';
import { ZipEntryInfo, ZipReader } from './zip.reader';
import { ZipWriter } from './zip.writer';

const PASSWORD = 'trust-spec-password-0123456789-abcdef';

const entry = (name: string, winZipAes: boolean): ZipEntryInfo => ({
  name,
  size: 1,
  compressedSize: 1,
  encrypted: winZipAes,
  winZipAes,
  method: 8,
  mtime: new Date(0),
});

async function writeArchive(file: string, encryption: 'aes256' | 'none'): Promise<void> {
  const writer = new ZipWriter({ encryption, password: encryption === 'aes256' ? PASSWORD : undefined, appName: 'trust' });
  const written = pipeline(writer.output, createWriteStream(file));
  await writer.addEntry('db-dumps/postgres-shop.sql', Readable.from([Buffer.from('SELECT 1;\n')]), { kind: 'database-dump' });
  await writer.addEntry('files/a.txt', Readable.from([Buffer.from('a')]), { kind: 'file' });
  await writer.finish();
  await written;
}

describe('requireAuthenticated: with a password, every entry must be WinZip AES', () => {
  it('passes an archive whose every entry is WinZip AES', () => {
    expect(requireAuthenticated([entry('manifest.json', true), entry('files/a', true)], { password: PASSWORD })).toEqual([]);
  });

  it('refuses plain entries, the manifest included, naming each and saying why it matters', () => {
    const err = (() => {
      try {
        requireAuthenticated([entry('files/a', true), entry('db-dumps/x.sql', false), entry('manifest.json', false)], {
          password: PASSWORD,
        });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UnauthenticatedArchiveError);
    expect(err.entries).toEqual(['db-dumps/x.sql', 'manifest.json']);
    expect(err.message).toMatch(
      /not authenticated: entries "db-dumps\/x\.sql", "manifest\.json" are not encrypted with the backup password/,
    );
    expect(err.message).toMatch(/anyone with write access to the storage could have written it/);
    expect(err.message).toMatch(/--allow-unencrypted[\s\S]*compromised/);
    expect(err.message).not.toContain(PASSWORD);
  });

  it('accepts plain empty folder entries (7-Zip, PHP ZipArchive) and nothing else plain', () => {
    const folder = (name: string, size = 0, compressedSize = 0): ZipEntryInfo => ({
      ...entry(name, false),
      size,
      compressedSize,
      folder: name.endsWith('/'),
    });
    expect(requireAuthenticated([folder('var/'), folder('var/www/'), entry('var/www/a.txt', true)], { password: PASSWORD })).toEqual([]);
    // A "folder" that holds data, and an empty plain file, are plain entries like any other.
    expect(() => requireAuthenticated([folder('var/', 5, 5), entry('var/a.txt', true)], { password: PASSWORD })).toThrow(
      /entry "var\/" is not encrypted/,
    );
    expect(() => requireAuthenticated([folder('empty.txt'), entry('a.txt', true)], { password: PASSWORD })).toThrow(
      /entry "empty\.txt" is not encrypted/,
    );
    expect(() => requireAuthenticated([folder('var/'), entry('a', false), entry('b', false)], { password: PASSWORD })).toThrow(
      /none of its 2 entries/,
    );
  });

  it('lets plain entries through with allowUnencrypted and returns them for the warning', () => {
    const plain = requireAuthenticated([entry('manifest.json', false), entry('files/a', true)], {
      password: PASSWORD,
      allowUnencrypted: true,
    });
    expect(plain).toEqual(['manifest.json']);
    expect(unencryptedWarning(plain)).toMatch(/^WARNING: --allow-unencrypted: 1 entry is not encrypted/);
  });

  it('asks nothing when encryption is off (no password configured)', () => {
    expect(requireAuthenticated([entry('manifest.json', false)], {})).toEqual([]);
  });

  describe('on archives written by ZipWriter', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-trust-spec-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('sees every entry of an AES-256 archive as WinZip AES and every entry of a plain one as plain', async () => {
      await writeArchive(join(dir, 'aes.zip'), 'aes256');
      await writeArchive(join(dir, 'plain.zip'), 'none');
      const aes = await ZipReader.open(join(dir, 'aes.zip'), { password: PASSWORD });
      const plain = await ZipReader.open(join(dir, 'plain.zip'), { password: PASSWORD });
      try {
        expect(plainEntries(aes.entries())).toEqual([]);
        expect(plainEntries(plain.entries()).sort()).toEqual(['db-dumps/postgres-shop.sql', 'files/a.txt', 'manifest.json']);
        expect(() => requireAuthenticated(plain.entries(), { password: PASSWORD })).toThrow(
          /not authenticated: none of its 3 entries is encrypted with the backup password/,
        );
      } finally {
        await aes.close();
        await plain.close();
      }
    });
  });
});
