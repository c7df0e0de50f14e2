import { readdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { forEachConcurrently } from '../common/concurrently';
import { loadMysql, loadPg } from '../common/optional-driver';
import { BackupDestination } from '../destinations/destination.interface';
import { ConnectionInfo } from '../sources/connection-info';
import { loaderFor } from '../sources/dumper.registry';

/** `.<name>.restore-<12 hex>.tmp`: a restored file (or SQLite database) before its rename. */
const TEMP_FILE = /^\..+\.restore-[0-9a-f]{12}\.tmp$/;

/**
 * Temporary files named one line each; the rest are counted in one line. A restore of 70,000
 * files killed half-way left 15,869, and the next restore printed a line for every one.
 */
const NAMED_TEMP_FILES = 5;

/** What a killed restore can leave behind, and where to look for it. */
export interface RestoreDebrisScope {
  /** The disk the safety backup goes to: its `.part` files under `<appName>/`. */
  disk?: BackupDestination;
  appName: string;
  /** Configured databases: their `<db>_restore_<8 hex>` staging copies. */
  connections: ConnectionInfo[];
  /** Folders a restore writes files into (the hidden `.tmp` files beside them). */
  folders: string[];
}

/**
 * Removes what dead restores left: staging databases `<db>_restore_<8 hex>` of the configured
 * databases, `.part` files on the disk (an interrupted safety backup) and hidden `.tmp` files in
 * the folders a restore writes. Only for a caller that holds the cluster lock of `backup:run`,
 * which every restore holds for its whole duration: no other restore or backup can be running,
 * so whatever matches was left by a dead process. Returns one line per thing removed (temporary
 * files past the first few in one line with their count).
 */
export async function removeRestoreDebris(scope: RestoreDebrisScope, options: { databases?: boolean } = {}): Promise<string[]> {
  const removed: string[] = [];
  if (scope.disk?.removeStaleUploads) {
    for (const name of await scope.disk.removeStaleUploads(`${scope.appName}/`).catch(() => [] as string[])) {
      removed.push(`temporary file ${name} on ${scope.disk.name}`);
    }
  }
  if (options.databases !== false) {
    for (const connection of scope.connections) {
      if (connection.driver === 'sqlite') continue;
      const base = connection.database.slice(0, 40);
      for (const name of await listDatabases(connection, `${base}_restore_`).catch(() => [] as string[])) {
        if (!new RegExp(`^${escapeRegExp(base)}_restore_[0-9a-f]{8}$`).test(name)) continue;
        await loaderFor(connection.driver).dropDatabase(connection, name);
        removed.push(`staging database "${name}"`);
      }
    }
  }
  const folders = new Set([
    ...scope.folders.map((f) => resolve(f)),
    // A SQLite database is restored through a temporary file beside it.
    ...scope.connections.filter((c) => c.driver === 'sqlite').map((c) => dirname(resolve(c.database))),
  ]);
  const tempFiles: string[] = [];
  const tempFolders = new Set<string>();
  for (const folder of folders) {
    for (const name of await readdir(folder).catch(() => [] as string[])) {
      if (!TEMP_FILE.test(name)) continue;
      tempFiles.push(join(folder, name));
      tempFolders.add(folder);
    }
  }
  await forEachConcurrently(tempFiles, 8, (file) => rm(file, { force: true }));
  for (const file of tempFiles.slice(0, NAMED_TEMP_FILES)) removed.push(`temporary file ${file}`);
  const more = tempFiles.length - NAMED_TEMP_FILES;
  if (more > 0)
    removed.push(
      `${more} more temporary files (.<name>.restore-<id>.tmp) in ${tempFolders.size} folder${tempFolders.size === 1 ? '' : 's'}`,
    );
  return removed;
}

/** Database names on the server of `connection` that start with `prefix`. */
export async function listDatabases(connection: ConnectionInfo, prefix: string): Promise<string[]> {
  const like = prefix.replace(/[\\%_]/g, (c) => `\\${c}`) + '%';
  if (connection.driver === 'postgres') {
    const client = new (loadPg('Looking for staging databases').Client)({
      host: connection.host,
      port: connection.port,
      user: connection.username,
      password: connection.password,
      database: connection.database,
      connectionTimeoutMillis: 15_000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [like]);
      return rows.map((r) => r.datname);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  const c = await loadMysql('Looking for staging databases').createConnection({
    host: connection.host,
    port: connection.port,
    user: connection.username,
    password: connection.password,
    connectTimeout: 15_000,
  });
  try {
    const [rows] = await c.query('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?', [like]);
    return (rows as Array<{ name: string }>).map((r) => r.name);
  } finally {
    await c.end().catch(() => undefined);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
