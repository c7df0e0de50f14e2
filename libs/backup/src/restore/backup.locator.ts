import { BackupDestination } from '../destinations/destination.interface';
import { classifyObject, isStranger } from '../catalog/object.classifier';
import { backupDateFromKey, isBackupKey } from '../catalog/backup-key';
import { BackupNotFoundError, RestoreRequestError } from './restore.errors';

/** A backup found on a destination. */
export interface LocatedBackup {
  key: string;
  size: number;
}

/**
 * Turns what an operator typed (`2026-11-21-02-00-00.zip`, `<app>/2026-...zip`, or --latest)
 * into an object key on one destination. Only archives named like ours count as "latest", so
 * a safety backup (`pre-restore-...`) or a stranger's file is never picked by accident; nor is
 * a dated name the catalog calls a stranger (dated beyond the clock-skew allowance, or smaller
 * than the smallest archive), which would otherwise always sort first.
 */
export class BackupLocator {
  constructor(
    private readonly appName: string,
    private readonly filenamePrefix = '',
  ) {}

  /** This app's backups on `destination`, newest first (strangers left out). */
  async list(destination: BackupDestination, now = new Date()): Promise<LocatedBackup[]> {
    const found: Array<LocatedBackup & { date: number }> = [];
    for await (const o of destination.list(`${this.appName}/`)) {
      if (!isBackupKey(o.key, this.appName, this.filenamePrefix)) continue;
      const date = backupDateFromKey(o.key)!;
      if (isStranger(classifyObject(o, date, now))) continue;
      found.push({ key: o.key, size: o.size, date: date.getTime() });
    }
    found.sort((a, b) => b.date - a.date || (a.key < b.key ? 1 : -1));
    return found.map(({ key, size }) => ({ key, size }));
  }

  async latest(destination: BackupDestination, now = new Date()): Promise<LocatedBackup> {
    const [newest] = await this.list(destination, now);
    if (!newest) throw new BackupNotFoundError(`${this.appName}/<newest>`, destination.name, []);
    return newest;
  }

  /** The backup called `name` (file name or full key); BackupNotFoundError lists what exists. */
  async find(destination: BackupDestination, name: string): Promise<LocatedBackup> {
    const key = this.keyOf(name);
    const stored = await destination.stat(key);
    if (stored) return { key, size: stored.size };
    const newest = (await this.list(destination).catch(() => [])).slice(0, 5).map((b) => b.key.slice(this.appName.length + 1));
    throw new BackupNotFoundError(key, destination.name, newest);
  }

  /** `name`, `--latest` or neither (then the caller decides); both is an error. */
  async resolve(destination: BackupDestination, request: { name?: string; latest?: boolean }): Promise<LocatedBackup> {
    if (request.name && request.latest) {
      throw new RestoreRequestError('Both a backup name and --latest were given', 'Pass one of them.');
    }
    if (request.name) return this.find(destination, request.name);
    if (request.latest) return this.latest(destination);
    throw new RestoreRequestError('No backup was named', 'Pass a backup name (see backup:list) or --latest.');
  }

  keyOf(name: string): string {
    const trimmed = name.trim().replace(/^\/+/, '');
    if (!trimmed) throw new RestoreRequestError('The backup name is empty', 'Pass a name such as 2026-11-21-02-00-00.zip.');
    const withZip = trimmed.endsWith('.zip') ? trimmed : `${trimmed}.zip`;
    return withZip.includes('/') ? withZip : `${this.appName}/${withZip}`;
  }
}
