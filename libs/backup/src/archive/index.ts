// Public API of the archive layer (re-exported from the library's index).
export * from './archive.errors';
export { entryNameProblem, assertSafeEntryName, normalEntryName } from './entry-name';
export { MANIFEST_NAME } from './manifest';
export type { EntryKind, EntryRecord, Manifest } from './manifest';
export { fileSource } from './random-access.source';
export type { RandomAccessSource } from './random-access.source';
export { SmallFileSource, UnreadableSourceError, WHOLE_FILE_BYTES } from './small-file.source';
export { ArchiveClosedError, ZipWriter } from './zip.writer';
export type { ArchiveSummary, EntryMeta, ZipWriterOptions } from './zip.writer';
export { EntryNotFoundError, isEmptyFolder, ZipReader } from './zip.reader';
export type { VerifyFault, VerifyReport, ZipEntryInfo } from './zip.reader';
export { plainEntries, requireAuthenticated, unencryptedWarning } from './archive.trust';
export type { TrustPolicy } from './archive.trust';
