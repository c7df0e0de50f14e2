import { Inject, Injectable } from '@nestjs/common';
import { BACKUP_OPTIONS } from '../config/backup-options.token';
import { BackupModuleOptions } from '../config/backup-options.interface';
import { BackupDestination } from '../destinations/destination.interface';
import { DestinationRegistry } from '../destinations/destination.registry';
import { backupDateFromKey, isBackupKey } from './backup-key';
import { BackupEntry, CatalogFolder, CatalogListing, CatalogSummary, StrangerEntry } from './backup-entry';
import { classifyObject, isStranger } from './object.classifier';

/**
 * Lists the backups this app wrote to one destination. Only keys named like our archives
 * (`<appName>/<prefix>YYYY-MM-DD-HH-mm-ss.zip`) are listed, so files a person or another tool
 * put in the same folder are never counted, checked or deleted. Backups are dated by their
 * name, because copying or restoring a bucket resets last-modified times. A dated name that
 * cannot be a backup (dated after now + 5 minutes, or smaller than the smallest archive) is a
 * "stranger": `survey` reports it, `list` leaves it out.
 *
 * @example
 * const backups = await catalog.list('s3');          // newest first
 * const { reachable, count, usedBytes } = await catalog.summary('local');
 */
@Injectable()
export class BackupCatalog {
  constructor(
    @Inject(BACKUP_OPTIONS) private readonly options: BackupModuleOptions,
    private readonly registry: DestinationRegistry,
  ) {}

  /** The destination called `name`, or the destination itself. */
  resolve(destination: BackupDestination | string): BackupDestination {
    return typeof destination === 'string' ? this.registry.get(destination) : destination;
  }

  /**
   * This app's backups on `destination`, newest first: by default the full backups in
   * `<appName>/`; with `where`, the dated archives directly in another folder (a tenant's
   * `<appName>/tenants/<id>/`). Strangers are left out. Throws when the destination cannot be listed.
   */
  async list(destination: BackupDestination | string, where?: CatalogFolder, now = new Date()): Promise<BackupEntry[]> {
    return (await this.survey(destination, where, now)).backups;
  }

  /** `list`, plus the strangers: dated names that are future-dated (after `now` + 5 min) or too small. */
  async survey(destination: BackupDestination | string, where?: CatalogFolder, now = new Date()): Promise<CatalogListing> {
    const target = this.resolve(destination);
    const folder = (where?.folder ?? this.options.appName).replace(/\/+$/, '');
    const filenamePrefix = where ? (where.filenamePrefix ?? '') : (this.options.archive?.filenamePrefix ?? '');
    const backups: BackupEntry[] = [];
    const strangers: StrangerEntry[] = [];
    for await (const object of target.list(`${folder}/`)) {
      if (!isBackupKey(object.key, folder, filenamePrefix)) continue;
      const entry = classifyObject(object, backupDateFromKey(object.key)!, now);
      if (isStranger(entry)) strangers.push(entry);
      else backups.push(entry);
    }
    return { backups: sortNewestFirst(backups), strangers: sortNewestFirst(strangers) };
  }

  /**
   * Reachability, count, newest backup and used storage of one destination. Never throws for a
   * destination that cannot be reached or listed: that is reported as reachable=false with why.
   */
  async summary(destination: BackupDestination | string): Promise<CatalogSummary> {
    let target: BackupDestination;
    try {
      target = this.resolve(destination);
    } catch (err) {
      return unreachableSummary(String(destination), String(destination), errorText(err));
    }
    try {
      await target.checkReachable();
      const { backups, strangers } = await this.survey(target);
      return summarize(target, backups, strangers);
    } catch (err) {
      return unreachableSummary(target.name, target.describe(), errorText(err));
    }
  }
}

/** Newest first; equal dates by key, larger first (the order planRetention uses). */
export function sortNewestFirst<T extends BackupEntry>(entries: T[]): T[] {
  return entries.sort((a, b) => b.date.getTime() - a.date.getTime() || (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
}

/** The summary of a reachable destination whose backups (newest first) are known. */
export function summarize(destination: BackupDestination, newestFirst: BackupEntry[], strangers: StrangerEntry[] = []): CatalogSummary {
  return {
    destination: destination.name,
    description: destination.describe(),
    reachable: true,
    count: newestFirst.length,
    newest: newestFirst[0] ?? null,
    usedBytes: newestFirst.reduce((sum, b) => sum + b.size, 0),
    strangers,
  };
}

function unreachableSummary(name: string, description: string, error: string): CatalogSummary {
  return { destination: name, description, reachable: false, error, count: 0, newest: null, usedBytes: 0, strangers: [] };
}

/** An error as text: a BackupError's message already carries its hint. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
