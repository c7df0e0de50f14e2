import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { BackupLock } from './backup-lock.interface';
import { lockFileName } from './lock-key';
import { LockUnavailableError } from './lock.errors';

/** What a lock file holds. */
interface LockRecord {
  pid: number;
  host: string;
  /** Epoch ms after which anyone may take the lock over. */
  expiresAt: number;
  /** Random per acquisition: a holder only ever removes its own file. */
  token: string;
}

/**
 * A lock file for one machine (SQLite hosts, or no database): created with O_EXCL, holding
 * pid, host and expiry. A lock whose holder on this host is dead, or whose ttl has passed, is
 * stale and taken over. Not for several machines: use a database lock there.
 */
export class FileLock implements BackupLock {
  private readonly tokens = new Map<string, string>();

  /**
   * @param dir folder of the lock files
   * @param scope what the lock guards beyond its key (e.g. the SQLite file), so two apps
   *   sharing a BACKUP_NAME on one machine do not block each other
   */
  constructor(
    private readonly dir: string,
    private readonly scope = '',
    private readonly clock: () => number = Date.now,
  ) {}

  describe(): string {
    return `lock file in ${this.dir}`;
  }

  pathOf(key: string): string {
    return join(this.dir, lockFileName(this.scope ? `${key}-${createHash('sha256').update(this.scope).digest('hex').slice(0, 12)}` : key));
  }

  async tryAcquire(key: string, ttlMs: number): Promise<boolean> {
    const file = this.pathOf(key);
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch (err) {
      throw new LockUnavailableError(
        `Cannot create the lock folder ${this.dir}: ${(err as Error).message}`,
        "Make it writable for the app's user.",
      );
    }
    // Two rounds: the second after removing a stale lock.
    for (let round = 0; round < 2; round++) {
      const record: LockRecord = {
        pid: process.pid,
        host: hostname(),
        expiresAt: this.clock() + ttlMs,
        token: randomBytes(8).toString('hex'),
      };
      try {
        await fs.writeFile(file, JSON.stringify(record), { flag: 'wx', mode: 0o600 });
        // Whoever removed a stale file at the same moment may have removed ours: check.
        const now = await this.read(file);
        if (now?.token !== record.token) return false;
        this.tokens.set(key, record.token);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new LockUnavailableError(
            `Cannot write the lock file ${file}: ${(err as Error).message}`,
            "Make its folder writable for the app's user.",
          );
        }
      }
      const holder = await this.read(file);
      if (holder && !this.isStale(holder)) return false;
      if (!holder && !(await this.olderThan(file, 10_000))) return false; // being written right now
      // Rename first so only one contender removes this very file.
      const aside = `${file}.${randomBytes(4).toString('hex')}.stale`;
      try {
        await fs.rename(file, aside);
      } catch {
        return false;
      }
      const moved = await this.read(aside);
      await fs.unlink(aside).catch(() => undefined);
      if (holder && moved?.token !== holder.token) {
        // We moved someone's fresh lock: give it back if its place is still free.
        if (moved) await fs.writeFile(file, JSON.stringify(moved), { flag: 'wx', mode: 0o600 }).catch(() => undefined);
        return false;
      }
    }
    return false;
  }

  async release(key: string): Promise<void> {
    const token = this.tokens.get(key);
    if (!token) return;
    this.tokens.delete(key);
    const file = this.pathOf(key);
    const holder = await this.read(file);
    if (holder?.token === token) await fs.unlink(file).catch(() => undefined);
  }

  private isStale(holder: LockRecord): boolean {
    if (holder.expiresAt <= this.clock()) return true;
    return holder.host === hostname() && !isAlive(holder.pid);
  }

  private async read(file: string): Promise<LockRecord | undefined> {
    try {
      const parsed = JSON.parse(await fs.readFile(file, 'utf8'));
      return typeof parsed?.pid === 'number' && typeof parsed?.token === 'string' ? parsed : undefined;
    } catch {
      return undefined;
    }
  }

  private async olderThan(file: string, ms: number): Promise<boolean> {
    try {
      return this.clock() - (await fs.stat(file)).mtimeMs > ms;
    } catch {
      return true;
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
