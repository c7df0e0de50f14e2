import { readFileSync } from 'node:fs';
import * as yauzl from 'yauzl';

/** Where an entry's data (after its local header) starts in the archive, and how long it is. */
export async function entryData(path: string, pick: (name: string) => boolean): Promise<{ name: string; start: number; length: number }> {
  const zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: true });
  for await (const entry of zip.eachEntry()) {
    if (!pick(entry.fileName)) continue;
    const bytes = readFileSync(path);
    const at = entry.relativeOffsetOfLocalHeader;
    const start = at + 30 + bytes.readUInt16LE(at + 26) + bytes.readUInt16LE(at + 28);
    zip.close();
    return { name: entry.fileName, start, length: entry.compressedSize };
  }
  throw new Error(`no entry found in ${path}`);
}
