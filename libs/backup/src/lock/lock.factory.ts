import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConnectionInfo } from '../sources/connection-info';
import { BackupLock } from './backup-lock.interface';
import { FileLock } from './file.lock';
import { MysqlNamedLock } from './mysql.lock';
import { PostgresAdvisoryLock } from './postgres.lock';

/** Where lock files live: the temp folder every process of one machine shares. */
export const LOCK_DIR = join(tmpdir(), 'nest-backup-locks');

/**
 * The lock that fits what the host already runs: its PostgreSQL or MySQL/MariaDB server (works
 * across machines), else a lock file in the temp folder (one machine only).
 */
export function lockForConnection(connection: ConnectionInfo | undefined): BackupLock {
  switch (connection?.driver) {
    case 'postgres':
      return new PostgresAdvisoryLock(connection);
    case 'mysql':
    case 'mariadb':
      return new MysqlNamedLock(connection);
    case 'sqlite':
      // Kept out of the app's folders (which may be backed up); scoped to the database file.
      return new FileLock(LOCK_DIR, resolve(connection.database));
    default:
      return new FileLock(LOCK_DIR);
  }
}
