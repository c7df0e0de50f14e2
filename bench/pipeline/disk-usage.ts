import * as fs from 'node:fs';
import * as path from 'node:path';

/** Total length of every regular file below `dir` (0 when it does not exist). */
export function treeBytes(dir: string): number {
  let total = 0;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    try {
      if (e.isDirectory()) total += treeBytes(p);
      else if (e.isFile()) total += fs.statSync(p).size;
    } catch {
      // removed between readdir and stat
    }
  }
  return total;
}

/**
 * Peak bytes held in a run's scratch places: its private TMPDIR (what os.tmpdir() returns in
 * the child) and its output folder. Temporary disk is that peak minus what stays at the end
 * (the archive itself), so a local `.part` renamed into place counts as zero, a dump file that
 * 7-Zip needs first counts in full, and for an S3-only run everything written locally counts.
 */
export class ScratchWatcher {
  private peak = 0;

  constructor(private readonly dirs: string[]) {}

  sample = (): void => {
    let now = 0;
    for (const d of this.dirs) now += treeBytes(d);
    this.peak = Math.max(this.peak, now);
  };

  /** Peak scratch bytes beyond `keptBytes` (the outputs that remain). */
  temporaryBytes(keptBytes: number): number {
    this.sample();
    return Math.max(0, this.peak - keptBytes);
  }
}
