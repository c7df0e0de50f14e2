import { BackupError } from '../common/backup.error';
import { BackupDestination } from './destination.interface';
import { LocalDestination, LocalDestinationOptions } from './local.destination';
import { S3Destination, S3DestinationOptions } from './s3.destination';

/** Configuration of one built-in destination, as the module builds it from the environment. */
export type DestinationConfig = ({ kind: 'local' } & LocalDestinationOptions) | ({ kind: 's3' } & S3DestinationOptions);

/** Builds a built-in destination; a host registers its own kinds by implementing BackupDestination. */
export function createDestination(config: DestinationConfig): BackupDestination {
  switch (config.kind) {
    case 'local':
      return new LocalDestination(config);
    case 's3':
      return new S3Destination(config);
    default: {
      const kind = (config as { kind?: unknown }).kind;
      throw new BackupError(`unknown destination kind "${String(kind)}"`, 'use "local" or "s3"');
    }
  }
}
