import { PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CorruptArchiveError, TruncatedArchiveError, ZipReader } from '../archive';

/**
 * A dump's SQL as it streams out of the archive: the entry itself, or for a `.sql.gz` entry
 * (spatie's GzipCompressor) the entry gunzipped on the way, never on disk. A damaged gzip
 * stream (its own CRC-32 and length are checked at the end) is a CorruptArchiveError naming
 * the entry, like any other damage, so the loader's own failure is not what gets reported.
 */
export async function openDump(zip: ZipReader, entry: string, compression?: 'gzip'): Promise<Readable> {
  const source = await zip.openEntry(entry);
  if (compression !== 'gzip') return source;
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  const out = new PassThrough({ highWaterMark: 256 * 1024 });
  const fail = (err: Error) => {
    const archiveFault = err instanceof CorruptArchiveError || err instanceof TruncatedArchiveError;
    out.destroy(archiveFault ? err : new CorruptArchiveError(entry, `the gzip-compressed dump cannot be unpacked (${err.message})`));
  };
  source.on('error', fail);
  gunzip.on('error', fail);
  // The consumer stopping early (a failed load) stops the reading too.
  out.on('close', () => {
    source.destroy();
    gunzip.destroy();
  });
  source.pipe(gunzip).pipe(out);
  return out;
}
