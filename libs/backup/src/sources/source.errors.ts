import { BackupError } from '../common/backup.error';

/**
 * A dump tool (pg_dump, mariadb-dump, ...) or the SQLite snapshot failed. `stderr` is the
 * tool's own message, already redacted of the connection's password.
 */
export class DumpFailedError extends BackupError {
  constructor(
    message: string,
    hint: string,
    readonly stderr = '',
  ) {
    super(message, hint);
  }
}

/** Loading a dump into a database (psql, mariadb, SQLite) failed; nothing was committed. */
export class LoadFailedError extends BackupError {
  constructor(
    message: string,
    hint: string,
    readonly stderr = '',
  ) {
    super(message, hint);
  }
}

/** A client tool the library runs is not installed (or not on PATH). */
export class ToolMissingError extends BackupError {
  constructor(
    readonly tool: string,
    debianPackage: string,
  ) {
    super(
      `The database tool "${tool}" was not found on PATH.`,
      `Install it (Debian/Ubuntu: apt-get install -y ${debianPackage}) or put it on PATH.`,
    );
  }
}

/** A TypeORM option set or DB_URL this library cannot turn into a ConnectionInfo. */
export class InvalidConnectionError extends BackupError {}

/** The dump was stopped on purpose (timeout, SIGTERM, another destination failing). */
export class DumpCancelledError extends BackupError {
  constructor(reason?: string) {
    super(`The database dump was cancelled${reason ? `: ${reason}` : ''}.`);
  }
}

/**
 * A dump held something other than SQL for the server: a client-side command (a psql
 * meta-command, a mariadb client command, SQLite's ATTACH, a dot-command, ...). Nothing of it
 * ran: the load stopped before that line reached the client.
 */
export class DumpRefusedError extends LoadFailedError {
  constructor(message: string) {
    super(
      message.charAt(0).toUpperCase() + message.slice(1),
      'Nothing of that line was run and no database was changed. Restore only archives this library made, and find out who could write to where this one came from.',
    );
  }
}
