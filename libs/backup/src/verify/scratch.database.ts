import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { BackupLock } from '../lock/backup-lock.interface';
import { lockForConnection } from '../lock/lock.factory';
import { listDatabases } from '../restore/debris';
import { ConnectionInfo } from '../sources/connection-info';
import { loaderFor } from '../sources/dumper.registry';

/** A throw-away database a test restore loads into; `drop()` removes every trace. */
export interface ScratchDatabase {
  connection: ConnectionInfo;
  drop(): Promise<boolean>;
}

/** `<db>_verify_<random>`, cut to fit PostgreSQL's 63 and MySQL's 64 character limits. */
export function scratchName(database: string): string {
  return `${scratchBase(database)}_verify_${randomBytes(4).toString('hex')}`;
}

function scratchBase(database: string): string {
  return (
    basename(database)
      .replace(/\.(sqlite3?|db)$/i, '')
      .replace(/[^A-Za-z0-9_]+/g, '_')
      .toLowerCase()
      .slice(0, 40) || 'db'
  );
}

/** Ends the scratch's life: held by its creator (in the server's session) until it is dropped. */
const ownerKey = (name: string) => `scratch-database:${name}`;
const SIX_HOURS = 6 * 3600_000;

/** Set by a signal handler that reports, audits and exits: the verify under way then never reports itself. */
export const verifyInterruption: { by?: string } = {};

/** Scratch databases of this process not dropped yet: dropped when it is stopped by a signal. */
export const scratchesInUse = new Set<ScratchDatabase>();

/**
 * Drops the scratch databases `<db>_verify_<8 hex>` of `server`'s database whose creator is
 * dead: each creator holds a lock named after its scratch (a PostgreSQL advisory lock or a MySQL
 * named lock, freed by the server when the creator's session dies), so a scratch whose lock can
 * be taken belongs to nobody. One that is in use, or whose lock cannot be asked, is left alone.
 * Returns the names dropped.
 */
export async function removeDeadScratches(server: ConnectionInfo): Promise<string[]> {
  if (server.driver === 'sqlite') return [];
  const base = scratchBase(server.database);
  const pattern = new RegExp(`^${base}_verify_[0-9a-f]{8}$`);
  const dropped: string[] = [];
  for (const name of (await listDatabases(server, `${base}_verify_`)).filter((n) => pattern.test(n))) {
    const lock = lockForConnection(server);
    if (!(await lock.tryAcquire(ownerKey(name), SIX_HOURS).catch(() => false))) continue;
    try {
      await loaderFor(server.driver).dropDatabase(server, name);
      dropped.push(name);
    } finally {
      await lock.release?.(ownerKey(name));
    }
  }
  return dropped;
}

/**
 * Creates the scratch database on the server of `server` (PostgreSQL, MariaDB/MySQL) or as a
 * file in a private temp folder (SQLite). `drop()` resolves true when it is really gone.
 */
export async function createScratch(server: ConnectionInfo, sourceDatabase: string): Promise<ScratchDatabase> {
  const loader = loaderFor(server.driver);
  const name = scratchName(sourceDatabase);
  if (server.driver === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'nest-backup-verify-'));
    const connection: ConnectionInfo = { ...server, database: join(dir, `${name}.db`) };
    return {
      connection,
      drop: async () => {
        await rm(dir, { recursive: true, force: true });
        return !(await loader.databaseExists(connection, connection.database));
      },
    };
  }
  // The owner lock first: a scratch that exists without its lock held is a dead process's.
  const owner: BackupLock | undefined = lockForConnection(server);
  const owned = await owner.tryAcquire(ownerKey(name), SIX_HOURS).catch(() => false);
  let creating: Promise<void> = Promise.resolve();
  const scratch: ScratchDatabase = {
    connection: { ...server, database: name },
    drop: async () => {
      // A signal may come while the server is creating it: dropped once it exists, not before.
      await creating.catch(() => undefined);
      await loader.dropDatabase(server, name);
      const gone = !(await loader.databaseExists(server, name));
      if (gone) {
        scratchesInUse.delete(scratch);
        if (owned) await owner.release?.(ownerKey(name)).catch(() => undefined);
      }
      return gone;
    },
  };
  // Known before it is created: the server commits the new database before its answer reaches
  // this process, and a signal handled in between must still find it to drop.
  scratchesInUse.add(scratch);
  creating = loader.createDatabase(server, name);
  await creating.catch(async (err) => {
    scratchesInUse.delete(scratch);
    if (owned) await owner.release?.(ownerKey(name));
    throw err;
  });
  return scratch;
}
