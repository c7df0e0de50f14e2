import { Manifest } from '../archive';
import { dumpEntryName } from '../backup/backup.service';
import { ConnectionInfo, DatabaseDriver } from '../sources/connection-info';
import { DumpFacts } from '../sources/database-dumper.interface';
import { RestoreRequestError } from './restore.errors';

/** One dump in an archive: its entry and what the backup recorded about it. */
export interface ArchivedDump {
  entry: string;
  facts: DumpFacts;
  /** The archive records no row counts (spatie/laravel-backup): `facts.tables` is empty, not a claim. */
  noRowCounts?: boolean;
  /** The entry is gzip-compressed SQL (spatie's GzipCompressor), unpacked as it streams. */
  compression?: 'gzip';
}

const family = (d: DatabaseDriver) => (d === 'mariadb' ? 'mysql' : d);

/** The dumps an archive holds, each with its entry name and manifest facts. */
export function archivedDumps(manifest: Manifest): ArchivedDump[] {
  const facts = Array.isArray(manifest.databases) ? (manifest.databases as DumpFacts[]) : [];
  const entries = new Set(manifest.entries.filter((e) => e.kind === 'database-dump').map((e) => e.path));
  return facts.map((f) => ({ entry: dumpEntryName(f.driver, f.database), facts: f })).filter((d) => entries.has(d.entry));
}

/** The dump of `connection`: same driver family and same database (SQLite: same file name). */
export function dumpFor(connection: ConnectionInfo, dumps: ArchivedDump[]): ArchivedDump | undefined {
  const entry = dumpEntryName(connection.driver, connection.database);
  return dumps.find(
    (d) => family(d.facts.driver) === family(connection.driver) && dumpEntryName(connection.driver, d.facts.database) === entry,
  );
}

/**
 * Pairs connections with the dumps to load into them. A connection named explicitly must have
 * a dump; when exactly one connection and one dump of its driver remain unpaired, they are
 * paired even if the database names differ (a production backup restored on staging).
 */
export function pairDumps(
  connections: ConnectionInfo[],
  dumps: ArchivedDump[],
  explicit: boolean,
): { pairs: Array<{ connection: ConnectionInfo; dump: ArchivedDump }>; skipped: Array<{ entry: string; reason: string }> } {
  const pairs: Array<{ connection: ConnectionInfo; dump: ArchivedDump }> = [];
  const unpaired: ConnectionInfo[] = [];
  for (const connection of connections) {
    const dump = dumpFor(connection, dumps);
    if (dump) pairs.push({ connection, dump });
    else unpaired.push(connection);
  }
  let left = dumps.filter((d) => !pairs.some((p) => p.dump === d));
  if (unpaired.length === 1) {
    const candidates = left.filter((d) => family(d.facts.driver) === family(unpaired[0].driver));
    if (candidates.length === 1) {
      pairs.push({ connection: unpaired[0], dump: candidates[0] });
      unpaired.length = 0;
      left = left.filter((d) => d !== candidates[0]);
    }
  }
  if (explicit && unpaired.length) {
    const held = dumps.map((d) => `${d.facts.driver} "${d.facts.database}"`).join(', ') || 'no database dumps';
    throw new RestoreRequestError(
      `The backup has no dump for the connection "${unpaired[0].name}" (${unpaired[0].driver} "${unpaired[0].database}")`,
      `It holds ${held}. Pick another --db-name or another backup.`,
    );
  }
  return {
    pairs,
    skipped: left.map((d) => ({ entry: d.entry, reason: `no configured connection for ${d.facts.driver} "${d.facts.database}"` })),
  };
}
