import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';

import { WHOLE_FILE_BYTES } from '../archive/small-file.source';

export { WHOLE_FILE_BYTES };

/**
 * A selected file's content for the archive: small files read whole (and the handle closed),
 * larger ones as a stream. A small file that has grown since the walk beyond what was expected
 * is streamed after all, from its start, so memory stays bounded whatever happens to it.
 * A small file's Buffer has a memory block of its own, which the archive writer may take over
 * (EntryMeta.handOver).
 */
export async function fileContent(handle: FileHandle, size: number): Promise<Buffer | Readable> {
  if (size > WHOLE_FILE_BYTES) return handle.createReadStream();
  let keep = false;
  try {
    // One byte more than expected tells "grew" from "exactly this size".
    const buffer = Buffer.allocUnsafeSlow(size + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      filled += bytesRead;
      if (filled === buffer.length) {
        keep = true;
        return handle.createReadStream({ start: 0 });
      }
      // A read of a regular file that returns less than asked has met its end: at the expected
      // size, no second read to be told so (one thread-pool round trip per file saved).
      if (bytesRead === 0 || filled === size) return buffer.subarray(0, filled);
    }
  } finally {
    if (!keep) await handle.close();
  }
}
