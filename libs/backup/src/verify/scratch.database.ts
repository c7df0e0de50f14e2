import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ConnectionInfo } from '../sources/connection-info';
import { loaderFor } from '../sources/dumper.registry';

/** A throw-away database a test restore loads into; `drop()` removes every trace. */
export interface ScratchDatabase {
  connection: ConnectionInfo;
  drop(): Promise<boolean>;
}

/** `<db>_verify_<random>`, cut to fit PostgreSQL's 63 and MySQL's 64 character limits. */
export function scratchName(database: string): string {
  const base = basename(database).replace(/\.(sqlite3?|db)$/i, '').replace(/[^A-Za-z0-9_]+/g, '_').toLowerCase().slice(0, 40);
  return `${base || 'db'}_verify_${randomBytes(4).toString('hex')}`;
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
  await loader.createDatabase(server, name);
  return {
    connection: { ...server, database: name },
    drop: async () => {
      await loader.dropDatabase(server, name);
      return !(await loader.databaseExists(server, name));
    },
  };
}
