import { Readable } from 'node:stream';
import { AllDestinationsFailedError, UploadFailedError } from './destination.errors';
import { DestinationUpload } from './destination.interface';

/** How one destination fared while the archive was streamed to it. */
export interface FanOutResult {
  /** The destination's name ("local", "s3", ...). */
  destination: string;
  key: string;
  /** True when every byte was accepted and the upload's stream finished. */
  ok: boolean;
  error?: Error;
  /** Bytes handed to this destination (all of them when ok). */
  bytes: number;
}

interface Lane {
  upload: DestinationUpload;
  bytes: number;
  waitingForDrain: boolean;
  error?: Error;
  finished: boolean;
}

/**
 * Streams one archive to every upload at once. The slowest live destination paces the source
 * (nothing is buffered beyond each stream's own high-water mark); a destination that errors is
 * detached and aborted while the others go on. When the source ends, every live upload's stream
 * is ended and awaited, but not completed: the caller calls `complete(size)` once it knows the
 * archive's size.
 *
 * Rejects (after aborting every upload) when the source itself fails. When every upload has
 * failed, the source is destroyed so the producer (a dump tool, the archiver) stops, and the
 * results say why each one failed.
 *
 * @example const results = await fanOut(archive.stream, [await local.openUpload(key), await s3.openUpload(key)]);
 */
export function fanOut(source: Readable, uploads: DestinationUpload[]): Promise<FanOutResult[]> {
  const lanes: Lane[] = uploads.map((upload) => ({ upload, bytes: 0, waitingForDrain: false, finished: false }));
  const live = new Set(lanes);
  const aborts: Promise<void>[] = [];
  const cleanups: Array<() => void> = [];

  return new Promise<FanOutResult[]>((resolve, reject) => {
    let settled = false;

    const finish = (sourceError?: Error) => {
      if (settled) return;
      settled = true;
      for (const cleanup of cleanups) cleanup();
      void Promise.all(aborts).then(() => {
        if (sourceError) reject(sourceError);
        else resolve(lanes.map(toResult));
      });
    };

    const resumeIfNoneWaiting = () => {
      if (!settled && [...live].every((l) => !l.waitingForDrain)) source.resume();
    };

    const detach = (lane: Lane, err: Error) => {
      if (!live.delete(lane)) return;
      lane.error = err;
      aborts.push(lane.upload.abort(err).catch(() => undefined));
      if (live.size === 0) {
        source.destroy(
          new AllDestinationsFailedError(
            'every destination failed, the backup was stopped',
            lanes.map((l) => `${l.upload.destination}: ${l.error?.message}`).join('; '),
          ),
        );
        finish();
      } else {
        resumeIfNoneWaiting();
        maybeDone();
      }
    };

    const maybeDone = () => {
      if (sourceEnded && [...live].every((l) => l.finished)) finish();
    };

    for (const lane of lanes) {
      const s = lane.upload.stream;
      const onError = (err: Error) => detach(lane, err);
      const onClose = () => {
        if (!lane.finished) {
          detach(lane, new UploadFailedError(`the upload to ${lane.upload.destination} closed before the archive ended`));
        }
      };
      const onDrain = () => {
        lane.waitingForDrain = false;
        resumeIfNoneWaiting();
      };
      const onFinish = () => {
        lane.finished = true;
        maybeDone();
      };
      s.on('error', onError);
      s.on('close', onClose);
      s.on('drain', onDrain);
      s.on('finish', onFinish);
      cleanups.push(() => {
        s.off('close', onClose);
        s.off('drain', onDrain);
        s.off('finish', onFinish);
        // The 'error' listener stays: a late error must not crash the process.
      });
    }

    let sourceEnded = false;
    const onData = (chunk: Buffer | string) => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      for (const lane of [...live]) {
        const s = lane.upload.stream;
        if (s.destroyed || s.writableEnded) {
          // A write that failed destroys the stream at once but emits its 'error' a tick later:
          // the failure itself (ENOSPC) is the reason, not its consequence.
          detach(lane, s.errored ?? new UploadFailedError(`the upload to ${lane.upload.destination} stopped accepting data`));
          continue;
        }
        lane.bytes += buf.length;
        if (!s.write(buf)) lane.waitingForDrain = true;
      }
      if ([...live].some((l) => l.waitingForDrain)) source.pause();
    };
    const onEnd = () => {
      sourceEnded = true;
      for (const lane of live) lane.upload.stream.end();
      maybeDone();
    };
    const onSourceError = (err: Error) => {
      if (settled) return;
      for (const lane of [...live]) {
        live.delete(lane);
        lane.error = err;
        aborts.push(lane.upload.abort(err).catch(() => undefined));
      }
      finish(err);
    };
    source.on('data', onData);
    source.on('end', onEnd);
    // Kept after settling: destroying the source on total failure emits its error late.
    source.on('error', onSourceError);
    cleanups.push(() => {
      source.off('data', onData);
      source.off('end', onEnd);
    });

    if (lanes.length === 0) {
      source.destroy(new AllDestinationsFailedError('no destination to write the backup to', 'configure BACKUP_DISKS'));
      finish();
    }
  });
}

function toResult(lane: Lane): FanOutResult {
  return {
    destination: lane.upload.destination,
    key: lane.upload.key,
    ok: !lane.error && lane.finished,
    error: lane.error,
    bytes: lane.bytes,
  };
}
