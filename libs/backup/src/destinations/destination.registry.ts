import { Inject, Injectable } from '@nestjs/common';
import { BackupError } from '../common/backup.error';
import { BACKUP_OPTIONS } from '../config/backup-options.token';
import { BackupModuleOptions } from '../config/backup-options.interface';
import { BackupDestination } from './destination.interface';
import { LocalDestination } from './local.destination';
import { S3Destination } from './s3.destination';

/** Builds the configured destinations once and hands them out by disk name. */
@Injectable()
export class DestinationRegistry {
  private readonly byName = new Map<string, BackupDestination>();

  constructor(@Inject(BACKUP_OPTIONS) private readonly options: BackupModuleOptions) {
    for (const d of options.destinations ?? []) this.byName.set(d.name, d);
  }

  /** The destination called `name`; a clear error naming the known disks otherwise. */
  get(name: string): BackupDestination {
    const existing = this.byName.get(name);
    if (existing) return existing;
    const created = this.create(name);
    this.byName.set(name, created);
    return created;
  }

  /** The disks backups are written to (BACKUP_DISKS). */
  configured(): BackupDestination[] {
    return this.options.disks.map((d) => this.get(d));
  }

  /** Local folders that hold backups: never archived themselves. */
  localRoots(): string[] {
    return this.options.local ? [this.options.local.root] : [];
  }

  private create(name: string): BackupDestination {
    if (name === 'local' && this.options.local) return new LocalDestination({ name, root: this.options.local.root });
    if (name === 's3' && this.options.s3) return new S3Destination({ name, ...this.options.s3 });
    if (name === 's3') {
      throw new BackupError('The "s3" disk is not configured', 'Set AWS_BUCKET (and AWS_* credentials) and add s3 to BACKUP_DISKS.');
    }
    const known = ['local', ...(this.options.s3 ? ['s3'] : []), ...(this.options.destinations ?? []).map((d) => d.name)];
    throw new BackupError(
      `Unknown disk "${name}"`,
      `Known disks: ${[...new Set(known)].join(', ')}. Check BACKUP_DISKS or --only-to-disk.`,
    );
  }
}
