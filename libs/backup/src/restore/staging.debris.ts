import type { Connection } from 'mysql2/promise';
import type { Client } from 'pg';
import { loadPg } from '../common/optional-driver';
import { ConnectionInfo } from '../sources/connection-info';
import { connectMysql, MYSQL_SWAP_JOURNAL, recoverMysqlSwap } from './mysql.swapper';
import { quoteMysql, rows } from './mysql.schema-objects';
import { mysqlGuardName, pgGuardKey } from './staging.guard';
import { STAGING_NAME, stagingBase } from './staging.names';

const quotePg = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * What a restore of `live` killed part-way (SIGKILL, power loss) left on the server, put right
 * before the next restore of it stages anything. Only leftovers of dead restores are touched:
 * each restore holds a lock named after its suffix while it runs (holdStagingGuard), and a
 * name whose lock can be taken belongs to none.
 * - `<db>_restore_<hex>`: a staging copy, dropped.
 * - MariaDB `<db>_replaced_<hex>` / `<db>_old_<hex>` with a swap journal: the swap is finished
 *   (RENAME happened) or undone (it did not), so the live database is whole again; then dropped
 *   (an `_old_` one of `--keep-old` is kept, without its journal).
 * - `<db>_replaced_<hex>` without a journal: a replaced database (PostgreSQL) or an empty one
 *   (MariaDB, killed before its journal was written), dropped. `<db>_old_<hex>` (kept on
 *   purpose with --keep-old) is left alone.
 * Returns one line per thing done, for the progress output.
 */
export async function removeDeadStagingDatabases(server: ConnectionInfo, live: string, lockWaitSeconds?: number): Promise<string[]> {
  if (server.driver === 'postgres') return removeDeadPostgres(server, live);
  if (server.driver === 'mysql' || server.driver === 'mariadb') return removeDeadMysql(server, live, lockWaitSeconds);
  return [];
}

/** The scratch names beside `live` in `names`, with their kind and suffix. */
function leftoversOf(names: string[], live: string): Array<{ name: string; kind: string; hex: string }> {
  const base = stagingBase(live);
  return names
    .map((name) => ({ name, m: STAGING_NAME.exec(name) }))
    .filter(({ m }) => m && m[1] === base)
    .map(({ name, m }) => ({ name, kind: m![2], hex: m![3] }));
}

async function removeDeadMysql(server: ConnectionInfo, live: string, lockWaitSeconds?: number): Promise<string[]> {
  const c: Connection = await connectMysql(server, lockWaitSeconds);
  const done: string[] = [];
  try {
    const schemas = (await rows<{ name: string }>(c, 'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA')).map((r) => r.name);
    const found = leftoversOf(schemas, live);
    // Swaps first: undoing one moves tables back into its staging schema.
    found.sort((a, b) => Number(a.kind === 'restore') - Number(b.kind === 'restore'));
    for (const l of found) {
      const [lock] = await rows<{ got: number | null }>(c, 'SELECT GET_LOCK(?, 0) AS got', [mysqlGuardName(l.hex)]);
      if (lock?.got !== 1) continue;
      try {
        if (
          !schemas.includes(l.name) ||
          !(await rows(c, 'SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [l.name])).length
        )
          continue;
        if (l.kind === 'restore') {
          await c.query(`DROP DATABASE IF EXISTS ${quoteMysql(l.name)}`);
          done.push(`Dropped "${l.name}", the staging copy of a restore that did not finish.`);
          continue;
        }
        const journal = await rows(c, 'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [
          l.name,
          MYSQL_SWAP_JOURNAL,
        ]);
        if (journal.length) {
          const how = await recoverMysqlSwap(c, l.name);
          done.push(
            how === 'finished'
              ? `Finished the swap into "${live}" that a killed restore left half-done (its journal was in "${l.name}").`
              : how === 'undone'
                ? `Undid the swap into "${live}" that a killed restore left half-done (its journal was in "${l.name}").`
                : `Dropped "${l.name}", left by a restore killed before its swap changed anything.`,
          );
        } else if (l.kind === 'replaced') {
          await c.query(`DROP DATABASE IF EXISTS ${quoteMysql(l.name)}`);
          done.push(`Dropped "${l.name}", left by a restore that did not finish.`);
        }
      } finally {
        await c.query('SELECT RELEASE_LOCK(?)', [mysqlGuardName(l.hex)]).catch(() => undefined);
      }
    }
    return done;
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function removeDeadPostgres(server: ConnectionInfo, live: string): Promise<string[]> {
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
  const done: string[] = [];
  try {
    const { rows: dbs } = await client.query<{ name: string }>('SELECT datname AS name FROM pg_database');
    for (const l of leftoversOf(
      dbs.map((d) => d.name),
      live,
    )) {
      // PostgreSQL's swap is one transaction: an `_old_` database is only ever a kept one.
      if (l.kind === 'old') continue;
      const { rows: got } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', pgGuardKey(l.hex));
      if (!got[0]?.ok) continue;
      try {
        await client.query(`DROP DATABASE IF EXISTS ${quotePg(l.name)} WITH (FORCE)`);
        done.push(`Dropped "${l.name}", left by a restore that did not finish.`);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1, $2)', pgGuardKey(l.hex)).catch(() => undefined);
      }
    }
    return done;
  } finally {
    await client.end().catch(() => undefined);
  }
}
