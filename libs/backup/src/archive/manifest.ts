import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** What an entry is, so a restore knows what to do with it. */
export type EntryKind = 'database-dump' | 'file' | 'tenant-data' | 'other';

/** One archived entry as the manifest and the writer report it. */
export interface EntryRecord {
  path: string;
  kind: EntryKind;
  /** Uncompressed size in bytes. */
  size: number;
  /** SHA-256 (hex) of the plaintext. */
  sha256: string;
  /** Bytes the entry takes in the archive (including AES salt, verifier and MAC). */
  compressedSize: number;
}

/** manifest.json, the last entry of every archive. Never holds a secret. */
export interface Manifest {
  formatVersion: 1;
  library: 'nest-backup';
  libraryVersion: string;
  appName: string;
  host: string;
  createdAt: string;
  encryption: 'aes256' | 'none';
  entries: Array<{ path: string; kind: EntryKind; size: number; sha256: string }>;
  [extra: string]: unknown;
}

export const MANIFEST_NAME = 'manifest.json';

let cachedVersion: string | undefined;

/** The version of this package, read from its package.json (src/ and dist/ sit at the same depth). */
export function libraryVersion(): string {
  if (cachedVersion === undefined) {
    try {
      cachedVersion = String(JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')).version);
    } catch {
      cachedVersion = 'unknown';
    }
  }
  return cachedVersion;
}

export function buildManifest(
  appName: string,
  encryption: 'aes256' | 'none',
  entries: EntryRecord[],
  createdAt: Date,
  extra: Record<string, unknown> = {},
): Manifest {
  const reserved = new Set(['formatVersion', 'library', 'libraryVersion', 'appName', 'host', 'createdAt', 'encryption', 'entries']);
  const safeExtra = Object.fromEntries(Object.entries(extra).filter(([k]) => !reserved.has(k)));
  return {
    formatVersion: 1,
    library: 'nest-backup',
    libraryVersion: libraryVersion(),
    appName,
    host: hostname(),
    createdAt: createdAt.toISOString(),
    encryption,
    entries: entries.map(({ path, kind, size, sha256 }) => ({ path, kind, size, sha256 })),
    ...safeExtra,
  };
}

/**
 * manifest.json's text, `JSON.stringify(manifest, null, 2)` to the byte, in pieces of about
 * `pieceBytes`: the text of 70,000 entries (14 MB, and as much again as a Buffer) is never
 * held whole.
 */
export function* manifestText(manifest: Manifest, pieceBytes = 256 * 1024): Generator<Buffer> {
  const { entries } = manifest;
  if (!Array.isArray(entries) || entries.length === 0) {
    yield Buffer.from(JSON.stringify(manifest, null, 2));
    return;
  }
  // The rest of the manifest around a marker that stands for the list, in its place.
  let marker = 'entries-list';
  while (JSON.stringify({ ...manifest, entries: [] }).includes(marker)) marker += '-';
  const around = JSON.stringify({ ...manifest, entries: marker }, null, 2);
  const at = around.indexOf(JSON.stringify(marker));
  let piece = around.slice(0, at) + '[\n';
  for (let i = 0; i < entries.length; i++) {
    piece += '    ' + JSON.stringify(entries[i], null, 2).replace(/\n/g, '\n    ') + (i + 1 < entries.length ? ',\n' : '\n  ]');
    if (piece.length >= pieceBytes) {
      yield Buffer.from(piece);
      piece = '';
    }
  }
  yield Buffer.from(piece + around.slice(at + JSON.stringify(marker).length));
}
