import { Readable } from 'node:stream';
import { Manifest, MANIFEST_NAME, ZipReader } from '../archive';
import { backupDateFromKey } from '../catalog/backup-key';
import { readSpatieLayout } from '../spatie/spatie.layout';
import { archivedDumps, ArchivedDump } from './dump.matcher';

/** A file entry of an archive and its path as archived (ours: below `files/`; spatie's: the whole name). */
export interface ArchivedFile {
  entry: string;
  path: string;
  size: number;
}

/**
 * What a restore or verify needs to know of an archive, whoever wrote it:
 * - `nest-backup`: read from manifest.json (SHA-256 per entry, row counts per table, app name);
 * - `spatie`: an archive without manifest.json, read as spatie/laravel-backup lays it out (see
 *   spatie/spatie.layout.ts); nothing records checksums, row counts or the app.
 */
export interface ArchiveLayout {
  kind: 'nest-backup' | 'spatie';
  manifest?: Manifest;
  /** The app the archive says it belongs to; undefined when it records none. */
  appName?: string;
  /** When the backup was made (ISO 8601): the manifest's, or the date in the backup's name. */
  createdAt: string;
  dumps: ArchivedDump[];
  /** Dumps that cannot be loaded here at all (a MongoDB dump, an unknown name), and why. */
  unloadable: Array<{ entry: string; reason: string }>;
  files: ArchivedFile[];
  /** What cannot be checked for lack of a manifest (empty for our own archives). */
  unchecked: string[];
}

const FILES_PREFIX = 'files/';

/** The `files/...` entries of our own archive, each with its path below `files/`. */
export function manifestFiles(manifest: Manifest): ArchivedFile[] {
  return manifest.entries
    .filter((e) => e.kind === 'file' && e.path.startsWith(FILES_PREFIX))
    .map((e) => ({ entry: e.path, path: e.path.slice(FILES_PREFIX.length), size: e.size }));
}

/** What a verify or restore of a manifest-less archive cannot check, said instead of a bare ✔. */
export const SPATIE_UNCHECKED = [
  "no manifest.json (a spatie/laravel-backup archive): no SHA-256 per entry to compare, only each entry's HMAC (when encrypted), CRC-32 and size",
  'no row counts recorded: a test restore or restore reports the rows it loaded but cannot compare them',
];

/**
 * Reads the layout of an opened archive. For our own archives this reads manifest.json (which
 * checks the password); for a manifest-less one, the smallest encrypted entry is read to the
 * end instead, so a wrong password is found here too, before anything is planned.
 */
export async function readLayout(zip: ZipReader, backupKey: string): Promise<ArchiveLayout> {
  // Our own archive is known by its manifest: no list of 70,000 entries made to find it.
  if (zip.entry(MANIFEST_NAME)) {
    const manifest = await zip.readManifest();
    return {
      kind: 'nest-backup',
      manifest,
      appName: manifest.appName,
      createdAt: String(manifest.createdAt),
      dumps: archivedDumps(manifest),
      unloadable: [],
      files: manifestFiles(manifest),
      unchecked: [],
    };
  }
  const entries = zip.entries();
  const probe = entries.filter((e) => e.encrypted && e.name !== MANIFEST_NAME).sort((a, b) => a.compressedSize - b.compressedSize)[0];
  if (probe) await drain(await zip.openEntry(probe.name));
  const spatie = readSpatieLayout(entries);
  return {
    kind: 'spatie',
    createdAt: (backupDateFromKey(backupKey) ?? new Date(Math.max(0, ...entries.map((e) => e.mtime.getTime())))).toISOString(),
    dumps: spatie.dumps.map((d) => ({
      entry: d.entry,
      facts: { driver: d.driver, database: d.database, tool: 'spatie/laravel-backup', tables: {} },
      noRowCounts: true,
      ...(d.compression ? { compression: d.compression } : {}),
    })),
    unloadable: spatie.skippedDumps,
    files: spatie.files.map((f) => ({ entry: f.entry, path: f.entry, size: f.size })),
    unchecked: [...SPATIE_UNCHECKED, ...spatie.skippedDumps.map((d) => `${d.entry} is not loaded: ${d.reason}`)],
  };
}

async function drain(stream: Readable): Promise<void> {
  for await (const _ of stream) void _;
}
