import type { Client } from 'pg';
import { loadPg } from '../common/optional-driver';
import { Redactor } from '../common/redact';
import { ConnectionInfo } from '../sources/connection-info';
import { pgWhere } from '../sources/postgres.env';
import { DatabaseSwapper, DEFAULT_LOCK_WAIT_SECONDS, SwapOptions, SwapResult } from './database-swapper.interface';
import { carryHostSettings } from './postgres.host-settings';
import { DatabaseSwapError } from './restore.errors';

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** SQLSTATE 55006: the database is still being accessed by other users. */
const OBJECT_IN_USE = '55006';
const ATTEMPTS = 3;

/**
 * Swaps PostgreSQL databases by renaming them on one admin connection to the maintenance
 * database: other sessions on the live database are ended (pg_terminate_backend: the app is
 * disconnected and reconnects to the restored data), then `live → old` and `staging → live` run
 * in one transaction, so a failed second rename undoes the first. A session that reconnects in
 * between makes the rename wait up to 5 s and fail; the swap is then tried again, twice.
 * Before that, what the host configured on the live database and pg_dump does not carry (owner,
 * grants, settings, comment; see carryHostSettings) is put on the staging copy, so it is there
 * after the swap.
 */
export class PostgresSwapper implements DatabaseSwapper {
  async swap(server: ConnectionInfo, staging: string, live: string, options: SwapOptions): Promise<SwapResult> {
    const redactor = new Redactor([server.password]);
    const client = await this.connect(server, redactor);
    const carried: string[] = [];
    try {
      // Bounded like MySQL's swap: no statement waits longer than this for another session's lock.
      await client.query(`SET lock_timeout = ${Math.round((options.lockWaitSeconds ?? DEFAULT_LOCK_WAIT_SECONDS) * 1000)}`);
      options.onStep(`Carrying the owner, grants, settings and comment of "${live}" over to the restored copy...`);
      try {
        carried.push(...(await this.carry(server, client, live, staging)));
      } catch (err) {
        throw new DatabaseSwapError(
          `Could not carry the owner, grants and settings of PostgreSQL database "${live}" on ${pgWhere(server)} over to the restored copy: ${redactor.redact((err as Error).message)}`,
          `"${live}" was left as it was. Check that the restoring user may grant them (a superuser or the owner) and run again.`,
        );
      }
      options.onStep(
        `Swapping the restored copy in: ending every other session on PostgreSQL database "${live}" ` +
          '(pg_terminate_backend; the app is disconnected and reconnects to the restored data)...',
      );
      for (let attempt = 1; ; attempt++) {
        try {
          await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [
            live,
          ]);
          await client.query('BEGIN');
          await client.query(`ALTER DATABASE ${quote(live)} RENAME TO ${quote(options.old)}`);
          await client.query(`ALTER DATABASE ${quote(staging)} RENAME TO ${quote(live)}`);
          await client.query('COMMIT');
          break;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          if ((err as { code?: string }).code === OBJECT_IN_USE && attempt < ATTEMPTS) continue;
          throw new DatabaseSwapError(
            `Could not put the restored copy in place of PostgreSQL database "${live}" on ${pgWhere(server)}: ${redactor.redact((err as Error).message)}`,
            `"${live}" was left as it was (both renames are one transaction). Stop what keeps reconnecting to it, or grant the restoring user ownership of both databases, and run again.`,
          );
        }
      }
      const result: SwapResult = { warnings: carried.map((w) => `Not carried over to the restored "${live}": ${redactor.redact(w)}`) };
      if (options.keepReplaced) {
        result.keptAs = options.old;
        options.onStep(`The replaced database is kept as "${options.old}"; drop it when no longer needed.`);
      } else {
        await client.query(`DROP DATABASE IF EXISTS ${quote(options.old)} WITH (FORCE)`).catch((err: Error) => {
          result.warnings.push(
            `The replaced database "${options.old}" could not be dropped (${redactor.redact(err.message)}); drop it by hand.`,
          );
        });
      }
      return result;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** carryHostSettings with a connection to each of the two databases, closed before the renames. */
  private async carry(server: ConnectionInfo, admin: Client, live: string, staging: string): Promise<string[]> {
    const open = async (database: string) => {
      const c = new (loadPg('Restoring a PostgreSQL database').Client)({
        host: server.host,
        port: server.port,
        user: server.username,
        password: server.password,
        database,
        connectionTimeoutMillis: 15000,
      });
      c.on('error', () => undefined);
      await c.connect();
      return c;
    };
    const liveClient = await open(live);
    try {
      const stagingClient = await open(staging);
      try {
        return await carryHostSettings(admin, liveClient, stagingClient, live, staging);
      } finally {
        await stagingClient.end().catch(() => undefined);
      }
    } finally {
      await liveClient.end().catch(() => undefined);
    }
  }

  /** The maintenance database "postgres" (template1 if that one is missing). */
  private async connect(server: ConnectionInfo, redactor: Redactor): Promise<Client> {
    let lastError: Error | undefined;
    for (const database of ['postgres', 'template1']) {
      const client = new (loadPg('Restoring a PostgreSQL database').Client)({
        host: server.host,
        port: server.port,
        user: server.username,
        password: server.password,
        database,
        connectionTimeoutMillis: 15000,
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        return client;
      } catch (err) {
        lastError = err as Error;
        await client.end().catch(() => undefined);
        if (!/database "postgres" does not exist/.test(lastError.message)) break;
      }
    }
    throw new DatabaseSwapError(
      `Could not connect to PostgreSQL ${pgWhere(server)} to swap the restored copy in: ${redactor.redact(lastError!.message)}`,
      'The live database was left as it was; check the server and run again.',
    );
  }
}
