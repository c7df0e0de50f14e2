import { CorruptArchiveError, Manifest, requireAuthenticated, TrustPolicy, VerifyReport, ZipReader } from '../archive';
import { BackupDestination } from '../destinations/destination.interface';
import { destinationSource } from './destination.source';
import { ArchiveLayout, readLayout } from './archive.layout';
import { LocatedBackup } from './backup.locator';

/** An archive whose entries passed their checks, with its manifest. */
export interface VerifiedArchive {
  zip: ZipReader;
  manifest: Manifest;
  report: VerifyReport;
  /** Plain entries let through by `allowUnencrypted` (empty otherwise), for the warning. */
  unencrypted: string[];
}

/** The trust policy, and the worker threads that decode small entries (BACKUP_ARCHIVE_THREADS; undefined = the default). */
export type ReadPolicy = TrustPolicy & { threads?: number };

/** The first line of an error message (the hint after it is repeated by the wrapping error). */
export function firstLine(message: string): string {
  return message.split('\n')[0];
}

/**
 * Opens a backup straight from its destination and applies the trust policy to its central
 * directory (plain entries with a password configured: UnauthenticatedArchiveError) before any
 * entry data is read. The one door restore, tenant restore and verify come in by.
 */
export async function openTrusted(
  destination: BackupDestination,
  backup: LocatedBackup,
  policy: ReadPolicy,
): Promise<{ zip: ZipReader; unencrypted: string[] }> {
  // A local archive is read through one descriptor; any other through the destination's reads.
  const local = await destination.openSource?.(backup.key);
  const source = local ?? destinationSource(destination, backup.key, backup.size);
  const zip = await ZipReader.open(source, { password: policy.password, threads: policy.threads, closeSource: !!local });
  try {
    return { zip, unencrypted: requireAuthenticated(zip.entries(), policy) };
  } catch (err) {
    await zip.close();
    throw err;
  }
}

/**
 * Opens a trusted backup (see openTrusted) and reads its layout: its manifest, or for an
 * archive without one (spatie/laravel-backup) its entries; either way the password is checked.
 * Throws UnauthenticatedArchiveError, WrongPasswordError, NotAZipError, TruncatedArchiveError,
 * UnsafeEntryNameError or CorruptArchiveError; the caller closes the reader.
 */
export async function openArchive(
  destination: BackupDestination,
  backup: LocatedBackup,
  policy: ReadPolicy,
): Promise<{ zip: ZipReader; layout: ArchiveLayout; unencrypted: string[] }> {
  const { zip, unencrypted } = await openTrusted(destination, backup, policy);
  try {
    return { zip, layout: await readLayout(zip, backup.key), unencrypted };
  } catch (err) {
    await zip.close();
    throw err;
  }
}

/**
 * Runs the archive's checks (AES verifier, HMAC, CRC-32, size, manifest SHA-256) and throws one
 * CorruptArchiveError naming every fault. `readData` limits which entries are read to the end
 * (see ZipReader.verify); the others still get every check that needs no data, except those
 * `readLater` names, which the caller reads (and so checks) itself before relying on them.
 */
export async function checkArchive(
  zip: ZipReader,
  readData?: (entry: string) => boolean,
  readLater?: (entry: string) => boolean,
): Promise<VerifyReport> {
  const report = await zip.verify({ readData, readLater });
  if (!report.ok) {
    const all = report.faults.map((f) => {
      const text = firstLine(f.message);
      return f.entry && !text.includes(f.entry) ? `"${f.entry}": ${text}` : text;
    });
    throw new CorruptArchiveError(undefined, `${all.length} fault(s) found: ${all.join('; ')}`);
  }
  return report;
}

/** Opens a backup and reads every entry once to the end; nothing has been touched when it throws. */
export async function openVerified(destination: BackupDestination, backup: LocatedBackup, policy: ReadPolicy): Promise<VerifiedArchive> {
  const { zip, unencrypted } = await openTrusted(destination, backup, policy);
  try {
    const report = await checkArchive(zip);
    return { zip, manifest: await zip.readManifest(), report, unencrypted };
  } catch (err) {
    await zip.close();
    throw err;
  }
}
