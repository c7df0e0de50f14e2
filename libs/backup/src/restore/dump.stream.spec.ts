import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { CorruptArchiveError, ZipReader, ZipWriter } from '../archive';
import { openDump } from './dump.stream';

const PASSWORD = 'dump-stream-spec-password-0123456789-ab';
const SQL = Buffer.from('CREATE TABLE t (id int);\n'.repeat(5000));

describe('openDump: a .sql.gz dump (spatie GzipCompressor) is unpacked as it streams', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nbt-dump-stream-'));
  let zip: ZipReader;

  beforeAll(async () => {
    const writer = new ZipWriter({ encryption: 'aes256', password: PASSWORD, appName: 'spec' });
    const written = pipeline(writer.output, createWriteStream(join(dir, 'a.zip')));
    const gz = gzipSync(SQL);
    await writer.addEntry('db-dumps/pgsql-shop.sql.gz', Readable.from([gz]), { kind: 'database-dump' });
    // Cut short: the archive entry itself is intact (HMAC, CRC), the gzip stream inside is not.
    await writer.addEntry('db-dumps/pgsql-cut.sql.gz', Readable.from([gz.subarray(0, gz.length - 20)]), { kind: 'database-dump' });
    await writer.addEntry('db-dumps/pgsql-plain.sql.gz', Readable.from([SQL]), { kind: 'database-dump' });
    await writer.finish();
    await written;
    zip = await ZipReader.open(join(dir, 'a.zip'), { password: PASSWORD });
  });
  afterAll(async () => {
    await zip?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const read = async (entry: string, compression?: 'gzip') => {
    const parts: Buffer[] = [];
    for await (const chunk of await openDump(zip, entry, compression)) parts.push(chunk as Buffer);
    return Buffer.concat(parts);
  };

  it('yields the SQL', async () => {
    expect((await read('db-dumps/pgsql-shop.sql.gz', 'gzip')).equals(SQL)).toBe(true);
  });

  it('fails a damaged or non-gzip stream as a corrupt archive entry, naming it', async () => {
    for (const entry of ['db-dumps/pgsql-cut.sql.gz', 'db-dumps/pgsql-plain.sql.gz']) {
      const err = await read(entry, 'gzip').then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err).toBeInstanceOf(CorruptArchiveError);
      expect(err!.message).toMatch(new RegExp(`"${entry}" is corrupt: the gzip-compressed dump cannot be unpacked`));
    }
  });

  it('passes an uncompressed dump through as it is', async () => {
    expect((await read('db-dumps/pgsql-plain.sql.gz')).equals(SQL)).toBe(true);
  });
});
