import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A file holding a password for a child tool (a MySQL defaults file, a PostgreSQL passfile).
 * It lives alone in a fresh 0700 directory and is created 0600, so no other user can read it;
 * `remove()` deletes the whole directory and is safe to call more than once.
 */
export class SecretFile {
  private removed = false;

  private constructor(
    readonly dir: string,
    readonly path: string,
  ) {}

  static async create(fileName: string, content: string, parentDir = tmpdir()): Promise<SecretFile> {
    const dir = await mkdtemp(join(parentDir, 'nest-backup-secret-'));
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
