import type * as Pg from 'pg';
import type * as Mysql2Promise from 'mysql2/promise';
import type BetterSqlite3 from 'better-sqlite3';
import { BackupError } from './backup.error';

/**
 * Database drivers, the AWS SDK and nodemailer are optional peers: a host has the driver its
 * TypeORM connection uses, and the SDK or nodemailer only when it writes to S3 or sends mail.
 * They are loaded on first use, and a missing one is a clear error, never a crash when the
 * library is imported.
 */
export function optionalDriver<T>(name: string, purpose: string): T {
  try {
    return require(name) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((err as Error).message).includes(`'${name}'`)) {
      throw new BackupError(
        `${purpose} needs the "${name}" package, which is not installed`,
        `Install it in the app: npm install ${packageOf(name)}`,
      );
    }
    throw err;
  }
}

export const loadPg = (purpose: string): typeof Pg => optionalDriver<typeof Pg>('pg', purpose);
export const loadMysql = (purpose: string): typeof Mysql2Promise => optionalDriver<typeof Mysql2Promise>('mysql2/promise', purpose);
export const loadSqlite = (purpose: string): typeof BetterSqlite3 => optionalDriver<typeof BetterSqlite3>('better-sqlite3', purpose);

/** The package a module path belongs to: "mysql2/promise" -> "mysql2", "@aws-sdk/client-s3" stays. */
export function packageOf(modulePath: string): string {
  const parts = modulePath.split('/');
  return modulePath.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}
