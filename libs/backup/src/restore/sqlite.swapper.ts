import { existsSync } from 'node:fs';
import { chmod, chown, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { loadSqlite } from '../common/optional-driver';

/** `.<file>.staged-<hex>` beside the live file: same folder, so the final rename is atomic. */
export function sqliteStagedPath(live: string, hex: string): string {
  const target = resolve(live);
  return join(dirname(target), `.${basename(target)}.staged-${hex}`);
}

/**
 * Gives the staged file the live file's permission bits and owner before it replaces it (a new
 * file is created 0600 by the loader; a host's 0664 shared with its web server must stay).
 * Changing the owner needs privileges the restore may not have: then a warning, not a failure,
 * when the owner differs.
 */
export async function copyModeAndOwner(live: string, staged: string): Promise<string[]> {
  const warnings: string[] = [];
  const s = await stat(live).catch(() => undefined);
  if (!s) return warnings;
  await chmod(staged, s.mode & 0o7777);
  const mine = await stat(staged);
  if (mine.uid !== s.uid || mine.gid !== s.gid) {
    await chown(staged, s.uid, s.gid).catch((err: Error) =>
      warnings.push(
        `${live} was owned by ${s.uid}:${s.gid}; the restored file could not be given that owner (${err.message}) and is owned by ${mine.uid}:${mine.gid}.`,
      ),
    );
  }
  return warnings;
}

/**
 * Puts the staged file in place of the live one with one rename. A live file in WAL mode is
 * checkpointed first and its -wal/-shm removed after, so no stale log is replayed onto the new
 * file.
 */
export async function swapSqliteFile(live: string, staged: string): Promise<void> {
  const target = resolve(live);
  if (existsSync(target)) {
    const old = new (loadSqlite('Restoring a SQLite database'))(target, { fileMustExist: true, timeout: 30000 });
    try {
      old.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      old.close();
    }
  }
  await rename(staged, target);
  await rm(`${target}-wal`, { force: true });
  await rm(`${target}-shm`, { force: true });
}
