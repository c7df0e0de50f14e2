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
