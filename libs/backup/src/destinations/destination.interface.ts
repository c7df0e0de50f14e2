import { Readable, Writable } from 'node:stream';
import type { RandomAccessSource } from '../archive/random-access.source';

/** One stored object as a destination lists it. Keys use '/' separators on every destination. */
export interface StoredObject {
  key: string;
  size: number;
  lastModified: Date;
}

/**
 * An upload in progress. Bytes are written to `stream`; nothing is visible under `key` until
 * `complete()` resolves. `abort()` removes every trace (temporary file, multipart upload).
 */
export interface DestinationUpload {
  /** The name of the destination this upload goes to ("local", "s3", ...). */
  readonly destination: string;
  readonly key: string;
  readonly stream: Writable;
  /** Bytes sent to the destination so far (a retried part counts once), for progress. Optional. */
  readonly uploadedBytes?: number;
  /** Finishes the upload, reads the stored size back and compares it; throws on a mismatch. */
  complete(expectedSize: number): Promise<StoredObject>;
  abort(reason?: Error): Promise<void>;
}

/** Optional facts about an upload that a destination may use to size its transfer. */
export interface UploadOptions {
  /**
   * A generous estimate of the final size in bytes, when known. S3 grows its multipart part size
   * from it so the upload stays under 10,000 parts; without it the configured part size decides
   * the largest archive that fits.
   */
  sizeHint?: number;
}

/** A multipart upload that was started and never completed nor aborted (S3 bills its parts). */
export interface IncompleteUpload {
  key: string;
  uploadId: string;
  initiated: Date;
  parts: number;
  bytes: number;
}

/**
 * Where backups are stored. The shipped implementations are LocalDestination and
 * S3Destination; a host can register its own.
 */
export interface BackupDestination {
  /** The disk name used in BACKUP_DISKS and in every message (e.g. "local", "s3"). */
  readonly name: string;
  /** Human description without secrets, e.g. "s3://bucket (http://127.0.0.1:4569)". */
  describe(): string;
  openUpload(key: string, options?: UploadOptions): Promise<DestinationUpload>;
  /** Every object under `prefix` (paging past 1,000 keys on S3). */
  list(prefix: string): AsyncIterable<StoredObject>;
  stat(key: string): Promise<StoredObject | null>;
  /** Streams an object, or the inclusive byte range [start, end] of it. */
  read(key: string, range?: { start: number; end: number }): Promise<Readable>;
  /**
   * Optional: the object as a source of many range reads through one open handle (a local
   * file: positioned reads on one descriptor). Restore and verify use it when it is there;
   * otherwise each range is a read() (an S3 range GET). The caller closes it.
   */
  openSource?(key: string): Promise<RandomAccessSource>;
  delete(key: string): Promise<void>;
  /**
   * Removes temporary files that uploads under `prefix` left behind (a run killed with SIGKILL
   * cannot clean up after itself); returns the removed names. Only called by a run that holds
   * the job lock, so no other upload can be in flight. Optional: S3 relies on the bucket's
   * AbortIncompleteMultipartUpload lifecycle rule instead.
   */
  removeStaleUploads?(prefix: string): Promise<string[]>;
  /** Multipart uploads under `prefix` that were started and never finished (S3). Optional. */
  listIncompleteUploads?(prefix: string): Promise<IncompleteUpload[]>;
  /** Aborts one of them: the server drops its parts. Only for uploads of runs that are gone. */
  abortIncompleteUpload?(upload: IncompleteUpload): Promise<void>;
  /**
   * Whether the bucket's lifecycle aborts incomplete multipart uploads under `prefix` (the
   * second line of defence after the sweep): true / false, or undefined when it cannot be read.
   */
  abortsIncompleteUploads?(prefix: string): Promise<boolean | undefined>;
  /** Resolves when the destination answers; rejects with a BackupError saying why not. */
  checkReachable(): Promise<void>;
}
