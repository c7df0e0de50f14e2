import { CorruptArchiveError, Manifest, VerifyReport, ZipReader } from '../archive';
import { BackupDestination } from '../destinations/destination.interface';
import { destinationSource } from './destination.source';
import { LocatedBackup } from './backup.locator';

/** An archive whose every entry passed its checks, with its manifest. */
export interface VerifiedArchive {
  zip: ZipReader;
  manifest: Manifest;
  report: VerifyReport;
}

/** The first line of an error message (the hint after it is repeated by the wrapping error). */
export function firstLine(message: string): string {
  return message.split('\n')[0];
}

/**
 * Opens a backup straight from its destination and reads every entry once to the end (AES
 * verifier, HMAC, CRC-32, size, manifest SHA-256). Throws WrongPasswordError, NotAZipError,
 * TruncatedArchiveError, UnsafeEntryNameError or CorruptArchiveError (naming every fault);
 * nothing has been touched when it throws.
 */
export async function openVerified(destination: BackupDestination, backup: LocatedBackup, password?: string): Promise<VerifiedArchive> {
  const zip = await ZipReader.open(destinationSource(destination, backup.key, backup.size), { password });
  try {
    const report = await zip.verify();
    if (!report.ok) {
      const all = report.faults.map((f) => {
        const text = firstLine(f.message);
        return f.entry && !text.includes(f.entry) ? `"${f.entry}": ${text}` : text;
      });
      throw new CorruptArchiveError(undefined, `${all.length} fault(s) found: ${all.join('; ')}`);
    }
    const manifest = await zip.readManifest();
    return { zip, manifest, report };
  } catch (err) {
    await zip.close();
    throw err;
  }
}
