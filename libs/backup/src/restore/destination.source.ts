import { RandomAccessSource } from '../archive/random-access.source';
import { BackupDestination } from '../destinations/destination.interface';

/**
 * An archive on any destination as a RandomAccessSource: the ZIP reader asks for the central
 * directory and each entry's bytes as range reads (S3 range GETs, local file ranges), so a
 * restore streams the archive and never needs a local copy of it.
 */
export function destinationSource(destination: BackupDestination, key: string, size: number): RandomAccessSource {
  return {
    size,
    read: (start, endInclusive) => destination.read(key, { start, end: endInclusive }),
  };
}
