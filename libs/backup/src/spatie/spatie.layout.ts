import { isEmptyFolder, MANIFEST_NAME, ZipEntryInfo } from '../archive';
import { DatabaseDriver } from '../sources/connection-info';

/**
 * How spatie/laravel-backup lays out its archives (no manifest.json): the database dumps as
 * `db-dumps/<dumper>-<database>.<ext>`, where the dumper is its db-dumper class in lower case
 * (mysql, mariadb, postgresql, sqlite, mongodb) and the extension `sql`, `sql.gz` with the gzip
 * compressor, or what `database_dump_file_extension` says; every other entry is a file, under
 * its absolute path without the leading slash, or below `relative_path` when that was set.
 */
export const SPATIE_DUMPS_FOLDER = 'db-dumps/';

/** A dump spatie wrote, as its file name describes it. */
export interface SpatieDump {
  entry: string;
  driver: DatabaseDriver;
  database: string;
  compression?: 'gzip';
  size: number;
}

/** A file spatie archived: its entry name is the path it had (see stripFilesPrefix). */
export interface SpatieFile {
  entry: string;
  size: number;
}

export interface SpatieLayout {
  dumps: SpatieDump[];
  /** Entries of db-dumps/ that cannot be loaded here, and why. */
  skippedDumps: Array<{ entry: string; reason: string }>;
  files: SpatieFile[];
}

/** spatie's dumper names (and Laravel's connection driver names) → the engines restored here. */
const DRIVERS: Record<string, DatabaseDriver> = {
  mysql: 'mysql',
  mariadb: 'mariadb',
  postgresql: 'postgres',
  pgsql: 'postgres',
  sqlite: 'sqlite',
};

/** An archive without manifest.json is read as spatie's: that is the layout such archives have in the wild. */
export function isSpatieLayout(entries: ZipEntryInfo[]): boolean {
  return !entries.some((e) => e.name === MANIFEST_NAME);
}

/** Sorts the entries of a manifest-less archive into dumps and files (folder entries are neither). */
export function readSpatieLayout(entries: ZipEntryInfo[]): SpatieLayout {
  const layout: SpatieLayout = { dumps: [], skippedDumps: [], files: [] };
  for (const e of entries) {
    if (e.folder && isEmptyFolder(e)) continue;
    if (!e.name.startsWith(SPATIE_DUMPS_FOLDER) || e.name.slice(SPATIE_DUMPS_FOLDER.length).includes('/')) {
      layout.files.push({ entry: e.name, size: e.size });
      continue;
    }
    const dump = parseDumpName(e.name);
    if ('reason' in dump) layout.skippedDumps.push({ entry: e.name, reason: dump.reason });
    else layout.dumps.push({ ...dump, size: e.size });
  }
  return layout;
}

/** `db-dumps/postgresql-shop.sql.gz` → PostgreSQL "shop", gzip; or why it is no dump loaded here. */
export function parseDumpName(entry: string): Omit<SpatieDump, 'size'> | { reason: string } {
  const file = entry.slice(SPATIE_DUMPS_FOLDER.length);
  const m = /^([a-z]+)-(.+?)\.(sql|sql\.gz|gz)$/i.exec(file);
  if (!m) {
    const known = /^mongodb-/i.test(file) ? 'a MongoDB dump, which is not restored here' : 'not named <engine>-<database>.sql or .sql.gz';
    return { reason: `${known}; extract it with 7-Zip to load it by hand` };
  }
  const driver = DRIVERS[m[1].toLowerCase()];
  if (!driver) return { reason: `"${m[1]}" is not an engine restored here (mysql, mariadb, postgresql, sqlite)` };
  return { entry, driver, database: m[2], ...(m[3].toLowerCase().endsWith('gz') ? { compression: 'gzip' as const } : {}) };
}
