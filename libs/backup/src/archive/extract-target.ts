import { closeSync, fchmodSync, futimesSync, openSync, writeSync } from 'node:fs';

/** Where a reader's worker writes an entry it has checked (a restore's temporary file). */
export interface ExtractTarget {
  /** A new file: it must not exist yet (created exclusively, 0600 until its mode is set). */
  path: string;
  mode: number;
  mtime: Date;
}

/**
 * Writes a checked entry to its target on the calling thread (a worker, for which blocking
 * calls cost nothing else): create, write, mode, times, all on one descriptor.
 */
export function writeExtractedSync(target: ExtractTarget, data: Buffer): void {
  const fd = openSync(target.path, 'wx', 0o600);
  try {
    for (let at = 0; at < data.length;) at += writeSync(fd, data, at, data.length - at);
    fchmodSync(fd, target.mode);
    futimesSync(fd, target.mtime, target.mtime);
  } finally {
    closeSync(fd);
  }
}
