import { Redactor } from '../common/redact';
import { ConnectionInfo, DatabaseDriver } from './connection-info';
import { DatabaseDumper, DumpHandle } from './database-dumper.interface';
import { findOnPath, runToolDump } from './db-tool';
import { PgCopyCounter } from './pg-copy.counter';
import { pgEnv, pgPassfile, pgWhere } from './postgres.env';
import { SecretFile } from './secret-file';

export interface ToolDumperOptions {
  /** Path of the dump tool; default: found on PATH. */
  bin?: string;
  /** Parent of the private directory that holds the password file; default os.tmpdir(). */
  tmpDir?: string;
}

/**
 * Dumps a PostgreSQL database with pg_dump as plain SQL that `psql -v ON_ERROR_STOP=1` loads
 * into an empty database (`--no-owner --no-privileges`). pg_dump reads everything in one
 * repeatable-read snapshot, so the dump is consistent while the app keeps writing; the row
 * counts are read off the dump's own COPY blocks (see PgCopyCounter), i.e. that same snapshot.
 *
 * @example
 * const handle = new PostgresDumper().dump(connection);
 * handle.stream.pipe(archiveEntry);
 * const facts = await handle.facts;
 */
export class PostgresDumper implements DatabaseDumper {
  constructor(private readonly options: ToolDumperOptions = {}) {}

  supports(driver: DatabaseDriver): boolean {
    return driver === 'postgres';
  }

  dump(connection: ConnectionInfo): DumpHandle {
    const bin = this.options.bin ?? findOnPath(['pg_dump']) ?? 'pg_dump';
    let passfile: SecretFile | undefined;
    const env: NodeJS.ProcessEnv = {};
    const prepare = pgPassfile(connection, this.options.tmpDir).then((file) => {
      passfile = file;
      Object.assign(env, pgEnv(connection, connection.database, file));
    });
    return runToolDump(
      {
        tool: 'pg_dump',
        bin,
        args: ['--format=plain', '--no-owner', '--no-privileges', '--no-password', '--encoding=UTF8'],
        env,
        describe: `PostgreSQL database "${connection.database}" on ${pgWhere(connection)}`,
        where: pgWhere(connection),
        redactor: new Redactor([connection.password]),
        counter: new PgCopyCounter(),
        facts: { driver: connection.driver, database: connection.database },
        cleanup: async () => passfile?.remove(),
      },
      prepare,
    );
  }
}
