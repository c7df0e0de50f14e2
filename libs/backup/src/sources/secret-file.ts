import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Every secret file's folder is named `nest-backup-secret-<pid of its owner>-<random>`. */
const PREFIX = 'nest-backup-secret-';
const OWNED = /^nest-backup-secret-(\d+)-/;

/**
 * A file holding a password for a child tool (a MySQL defaults file, a PostgreSQL passfile).
 * It lives alone in a fresh 0700 directory and is created 0600, so no other user can read it;
 * `remove()` deletes the whole directory and is safe to call more than once. A process killed
 * before it could remove its file leaves it behind: the folder's name carries the owner's pid,
 * and removeStaleSecretFiles (run when the module starts and before each new file) removes the
 * folders of dead owners.
 */
export class SecretFile {
  private removed = false;

  private constructor(
    readonly dir: string,
    readonly path: string,
  ) {}

  static async create(fileName: string, content: string, parentDir = tmpdir()): Promise<SecretFile> {
    await removeStaleSecretFiles(parentDir).catch(() => undefined);
    const dir = await mkdtemp(join(parentDir, `${PREFIX}${process.pid}-`));
    const path = join(dir, fileName);
    try {
      await writeFile(path, content, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    return new SecretFile(dir, path);
  }

  async remove(): Promise<void> {
    if (this.removed) return;
    this.removed = true;
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Removes the secret-file folders below `parentDir` whose owning process is gone; their names. */
export async function removeStaleSecretFiles(parentDir = tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(parentDir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const pid = Number(OWNED.exec(name)?.[1]);
    if (!pid || isAlive(pid)) continue;
    await rm(join(parentDir, name), { recursive: true, force: true });
    removed.push(join(parentDir, name));
  }
  return removed;
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
