import { Manifest } from '../archive';
import { BackupError } from '../common/backup.error';
import { ConnectionInfo, DatabaseDriver } from '../sources/connection-info';
import { ArchivedDump } from './dump.matcher';

/** The archive was made for another app or another database engine than the one it would restore into. */
export class ArchiveBindingError extends BackupError {}

/** What a restore is bound to: this app, and the engines of the connections it may load into. */
export interface RestoreBinding {
  /** BACKUP_NAME of the app restoring. */
  appName: string;
  /** The connections dumps may be loaded into; undefined when no database is restored (--only-files). */
  connections?: ConnectionInfo[];
  /** `--allow-other-app`: restore an archive whose manifest names another app. */
  allowOtherApp?: boolean;
  /** `--allow-other-engine`: go on (skipping those dumps) when a dump has no connection of its engine. */
  allowOtherEngine?: boolean;
}

const family = (d: DatabaseDriver) => (d === 'mariadb' ? 'mysql' : d);
const engineName = (d: DatabaseDriver) =>
  ({ postgres: 'PostgreSQL', mysql: 'MySQL/MariaDB', mariadb: 'MySQL/MariaDB', sqlite: 'SQLite' })[d] ?? d;

/**
 * Refuses, before anything is changed, an archive made for someone else: its manifest names
 * another app than `appName`, or holds a dump whose engine none of the target connections has
 * (a PostgreSQL dump would otherwise be skipped silently while the files are overwritten).
 * Returns the warnings for what the allow flags let through.
 */
export function checkBinding(
  manifest: Pick<Manifest, 'appName'> | { appName?: undefined },
  dumps: ArchivedDump[],
  binding: RestoreBinding,
): string[] {
  const warnings: string[] = [];
  // An archive that names no app (spatie/laravel-backup's) is this app's by where it is stored.
  if (manifest.appName !== undefined && manifest.appName !== binding.appName) {
    const what = `The archive was made by the app "${manifest.appName}", not by this app "${binding.appName}" (BACKUP_NAME)`;
    if (!binding.allowOtherApp) {
      throw new ArchiveBindingError(
        `${what}; nothing was changed`,
        "Pick a backup of this app, or pass --allow-other-app if you mean to restore that app's backup here.",
      );
    }
    warnings.push(`WARNING: --allow-other-app: ${what}.`);
  }
  if (binding.connections) {
    const engines = new Set(binding.connections.map((c) => family(c.driver)));
    const foreign = dumps.filter((d) => !engines.has(family(d.facts.driver)));
    if (foreign.length) {
      const held = foreign.map((d) => `${engineName(d.facts.driver)} "${d.facts.database}"`).join(', ');
      const targets = binding.connections.map((c) => `${engineName(c.driver)} "${c.name}"`).join(', ') || 'no connection';
      const what = `The archive holds a dump of ${held}, but this app restores into ${targets}: another database engine`;
      if (!binding.allowOtherEngine) {
        throw new ArchiveBindingError(
          `${what}; nothing was changed`,
          "Pick a backup of this app's database, configure a connection of that engine, or pass --allow-other-engine to skip that dump and restore the rest.",
        );
      }
      warnings.push(`WARNING: --allow-other-engine: ${what}; that dump is skipped.`);
    }
  }
  return warnings;
}
