import type { Connection } from 'mysql2/promise';
import type { Client } from 'pg';
import { loadMysql, loadPg } from '../common/optional-driver';
import { ConnectionInfo } from '../sources/connection-info';

/** First key of the PostgreSQL advisory locks that mark a staged restore as alive ("nest"). */
const PG_LOCK_CLASS = 0x6e657374;

/** The lock that says "the restore with suffix `hex` is alive": GET_LOCK name / advisory key. */
export const mysqlGuardName = (hex: string) => `nest_backup_restore_${hex}`;
export const pgGuardKey = (hex: string): [number, number] => [PG_LOCK_CLASS, parseInt(hex, 16) | 0];

/** A server-side lock held for as long as a restore owns its scratch databases. */
export interface StagingGuard {
  release(): Promise<void>;
}

/**
 * Holds a lock named after the restore's suffix on a connection of its own, from before the
 * staging database is created until it is dropped or swapped in. The server lets it go when
 * the process dies (even by SIGKILL), so the next run can tell a dead restore's leftovers
 * (lock free) from those of one still running (lock held) — see removeDeadStagingDatabases.
 */
export async function holdStagingGuard(server: ConnectionInfo, hex: string): Promise<StagingGuard> {
  if (server.driver === 'postgres') {
    const client: Client = new (loadPg('Restoring a PostgreSQL database').Client)({
      host: server.host,
      port: server.port,
      user: server.username,
      password: server.password,
      database: 'postgres',
      connectionTimeoutMillis: 15000,
    });
    client.on('error', () => undefined);
    await client.connect();
    await client.query('SELECT pg_advisory_lock($1, $2)', pgGuardKey(hex));
    return { release: () => client.end().catch(() => undefined) };
  }
  const c: Connection = await loadMysql('Restoring a MySQL/MariaDB database').createConnection({
    host: server.host,
    port: server.port,
    user: server.username,
    password: server.password,
    connectTimeout: 15000,
  });
  c.on('error', () => undefined);
  await c.query('SELECT GET_LOCK(?, 0)', [mysqlGuardName(hex)]);
  return { release: () => c.end().catch(() => undefined) };
}
