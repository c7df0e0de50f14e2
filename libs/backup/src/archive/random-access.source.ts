import { open as openFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import * as yauzl from 'yauzl';

/**
 * Something that can hand out byte ranges of an archive: a local file, or an object on a
 * destination (S3 range GETs), so an archive can be listed and checked without downloading it.
 */
export interface RandomAccessSource {
  size: number;
  /** Streams bytes start..endInclusive. */
  read(start: number, endInclusive: number): Promise<Readable>;
}

/** A local file as a RandomAccessSource. */
export async function fileSource(path: string): Promise<RandomAccessSource> {
  const handle = await openFile(path, 'r');
  try {
    const { size } = await handle.stat();
    return {
      size,
      read: async (start, endInclusive) => createReadStream(path, { start, end: endInclusive }),
    };
  } finally {
    await handle.close();
  }
}

/** Adapts a RandomAccessSource to yauzl's RandomAccessReader (which wants a stream synchronously). */
export class SourceRandomAccessReader extends yauzl.RandomAccessReader {
  constructor(private readonly source: RandomAccessSource) {
    super();
  }

  _readStreamForRange(start: number, end: number): Readable {
    const out = new PassThrough();
    this.source.read(start, end - 1).then(
      (stream) => {
        stream.once('error', (err) => out.destroy(err));
        out.once('close', () => stream.destroy());
        stream.pipe(out);
      },
      (err) => out.destroy(err),
    );
    return out;
  }
}

/** Reads a whole (small) range into memory: headers, salts, MACs. */
export async function readRange(source: RandomAccessSource, start: number, endInclusive: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of await source.read(start, endInclusive)) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}
