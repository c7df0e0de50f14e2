import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { Transform } from 'node:stream';
import { SmallFileSource, UnreadableSourceError, ZipWriter } from '../archive';
import { BackupError } from '../common/backup.error';
import { Redactor } from '../common/redact';
import { BackupModuleOptions } from '../config/backup-options.interface';
import { BackupDestination, DestinationUpload } from '../destinations/destination.interface';
import { fanOut } from '../destinations/fan-out';
import { BackupEventMeta, BackupEvents, BackupFailedEvent, BackupSucceededEvent } from '../events/backup.events';
import { ConnectionResolver } from '../sources/connection.resolver';
import { DestinationRegistry } from '../destinations/destination.registry';
import { DumpFacts } from '../sources/database-dumper.interface';
import { dumperFor } from '../sources/dumper.registry';
import { selectFiles, selectListedFiles } from '../sources/file-selection';
import { backupFileName, backupKey } from '../catalog/backup-key';
import { BACKUP_OPTIONS } from '../config/backup-options.token';
import { secretsOf } from '../config/secrets';
import { abortDeadUploads } from './dead-upload.sweep';
import { DestinationOutcome, RunReport, RunRequest } from './backup-run.types';
import { BackupCancelledError, BackupTimeoutError, RetryPolicy, withRetries } from './retry';
import { audited, AUDIT_TRAIL, AuditRecorder } from '../audit/audit.hook';
import { runFacts } from './backup.audit';

/** Files queued in the archive at once (each holds an open file handle until written). */
const FILES_IN_FLIGHT = 16;

/**
 * Makes one backup: database dumps and files stream through one ZipWriter, whose output is
 * streamed to every destination at once. Nothing is kept under the backup's name unless that
 * destination received the complete archive.
 *
 * @example const report = await backupService.run({ onlyDb: true });
 */
@Injectable()
export class BackupService {
  private readonly logger = new Logger('Backup');
  private readonly redactor: Redactor;

  constructor(
    @Inject(BACKUP_OPTIONS) private readonly options: BackupModuleOptions,
    private readonly destinations: DestinationRegistry,
    private readonly connections: ConnectionResolver,
    @Optional() private readonly events?: EventEmitter2,
    @Optional() @Inject(AUDIT_TRAIL) private readonly audit?: AuditRecorder,
  ) {
    this.redactor = new Redactor(secretsOf(options));
  }

  /**
   * Runs the backup, retrying a failed attempt as `tries`/`retryDelayMs` say (a line per
   * attempt), each attempt under `timeoutMs`. Events are emitted once, for the final outcome.
   */
  async run(request: RunRequest = {}): Promise<RunReport> {
    const disks = request.onlyToDisk ? [request.onlyToDisk] : this.options.disks;
    return audited(
      this.audit,
      'run',
      () => this.runWithRetries(request),
      (r) => runFacts(r, request, disks),
      { destination: disks.join(',') },
    );
  }

  /** `run` without the audit record. */
  private async runWithRetries(request: RunRequest): Promise<RunReport> {
    const defaults = this.options.attempts;
    const policy: RetryPolicy = {
      tries: request.tries ?? defaults?.tries ?? 1,
      retryDelayMs: request.retryDelayMs ?? defaults?.retryDelayMs ?? 60_000,
      timeoutMs: request.timeoutMs !== undefined ? request.timeoutMs : (defaults?.timeoutMs ?? null),
    };
    const report = await withRetries(
      policy,
      request.signal,
      (a) => this.runOnce({ ...request, signal: a.signal }).then((r) => ({ ...r, attempts: a.number })),
      {
        succeeded: (r) => r.ok,
        describeFailure: (r) =>
          r.error ??
          r.destinations
            .filter((d) => !d.ok)
            .map((d) => `${d.disk}: ${d.error}`)
            .join('; '),
        log: (line, { ok, last }) => {
          if (ok && policy.tries === 1) return;
          // backup:run prints the final failure itself, with its hint: logging it too printed it twice.
          if (!ok && last && request.callerReportsOutcome) return;
          this.logger.log(`Backup ${line.charAt(0).toLowerCase()}${line.slice(1)}`);
        },
      },
    );
    if (request.emitEvents !== false) await this.emitOutcome(report, request);
    return report;
  }

  /** One attempt, no events. */
  private async runOnce(request: RunRequest): Promise<RunReport> {
    const started = Date.now();
    const now = request.now ?? new Date();
    const fileName = request.filename
      ? request.filename.endsWith('.zip')
        ? request.filename
        : `${request.filename}.zip`
      : backupFileName(now, this.options.archive.filenamePrefix);
    const key = backupKey(this.options.appName, fileName);
    const report: RunReport = {
      ok: false,
      key,
      archiveBytes: 0,
      durationMs: 0,
      databases: [],
      files: 0,
      unreadableFiles: [],
      destinations: [],
    };
    try {
      // --filename is one file name: a "/" or ".." would write outside the app's folder or into
      // a subfolder that backup:list and retention never look at.
      if (request.filename !== undefined && (/[\\/]/.test(request.filename) || request.filename === '.' || request.filename === '..')) {
        throw new BackupError(
          `--filename "${request.filename}" must be a plain file name, without "/", "\\" or ".."`,
          'Pass a name such as "before-migration"; the archive is stored under BACKUP_NAME on every disk.',
        );
      }
      // A newline or NUL would end up in a file or object name (and in every listing and log).
      if (request.filename !== undefined && /[\u0000-\u001f\u007f]/.test(request.filename)) {
        throw new BackupError(
          `--filename ${JSON.stringify(request.filename)} contains a control character (newline, tab, NUL, …); pass a plain file name such as "before-migration"`,
          'Pass a name without control characters.',
        );
      }
      await this.produce(request, key, report);
    } catch (err) {
      // When the signal stopped the run, its reason (time limit, SIGTERM) is the real story.
      const cause = request.signal?.aborted ? stopReason(request.signal) : err;
      report.error = this.message(cause);
      if (request.signal?.aborted) {
        report.stopped = cause instanceof BackupTimeoutError ? 'timeout' : 'cancelled';
        for (const d of report.destinations) if (!d.ok) d.error = report.error;
      }
    }
    report.durationMs = Date.now() - started;
    report.ok = !report.error && report.destinations.length > 0 && report.destinations.every((d) => d.ok);
    return report;
  }

  /** Temporary files and incomplete uploads of killed runs: removed (and said) so they never fill the disk or the bill. */
  private async sweep(target: BackupDestination): Promise<void> {
    const removed = (await target.removeStaleUploads?.(`${this.options.appName}/`).catch(() => [])) ?? [];
    for (const name of removed) this.logger.warn(`Removed ${name} on ${target.name}: a temporary file left by an interrupted run`);
    await abortDeadUploads(target, `${this.options.appName}/`, this.logger);
  }

  private async produce(request: RunRequest, key: string, report: RunReport): Promise<void> {
    throwIfStopped(request.signal);
    if (request.onlyDb && request.onlyFiles) {
      throw new BackupError('--only-db and --only-files cannot be combined', 'Pass one of them, or neither for a full backup.');
    }
    const disks = request.onlyToDisk ? [request.onlyToDisk] : this.options.disks;
    const targets = disks.map((d) => this.destinations.get(d));
    const connections = request.onlyFiles ? [] : await this.connections.resolve(request.dbNames ?? this.options.databases);
    const withFiles = !request.onlyDb && (request.files ?? this.options.files.include).length > 0;
    if (connections.length === 0 && !withFiles) {
      throw new BackupError(
        'Nothing to back up: no database and no file paths are selected',
        'Set BACKUP_DATABASES and/or BACKUP_INCLUDE, or drop --only-db / --only-files.',
      );
    }

    if (request.filename !== undefined && !request.overwrite) await refuseExisting(targets, key);

    // Open every destination first: one that cannot even start is reported, the others go on.
    const uploads: DestinationUpload[] = [];
    const uploadDisks: string[] = [];
    for (const target of targets) {
      try {
        await target.checkReachable();
        if (request.sweepTemporaryFiles) await this.sweep(target);
        uploads.push(await target.openUpload(key));
        uploadDisks.push(target.name);
      } catch (err) {
        report.destinations.push({ disk: target.name, ok: false, key, error: this.message(err) });
      }
    }
    if (request.signal?.aborted) {
      await Promise.all(uploads.map((u) => u.abort(stopReason(request.signal!)).catch(() => undefined)));
      throwIfStopped(request.signal);
    }
    if (uploads.length === 0)
      throw new BackupError(`No destination could be written (${report.destinations.map((d) => `${d.disk}: ${d.error}`).join('; ')})`);

    const writer = new ZipWriter({
      encryption: this.options.archive.encryption,
      password: this.options.archive.password,
      level: this.options.archive.compressionLevel,
      appName: this.options.appName,
      threads: this.options.archive.threads,
    });
    let produced = 0;
    const counted = writer.output.pipe(
      new Transform({
        transform(chunk: Buffer, _enc, done) {
          produced += chunk.length;
          request.onProgress?.(produced, uploadProgress(uploads));
          done(null, chunk);
        },
      }),
    );
    writer.output.on('error', (e) => counted.destroy(e));
    // fanOut destroys `counted` when every destination failed (a full disk): the writer must
    // stop too, or it waits for a drain that never comes and the process exits with nothing done.
    counted.on('error', (e) => writer.abort(e));
    const delivery = fanOut(counted, uploads);
    // It fails as soon as the archive stream does (a refused dump), possibly while the files
    // are still being added: looked at below, it must not count as unhandled meanwhile.
    delivery.catch(() => undefined);
    // Aborting the writer destroys the entry being written: the dump tool is stopped, the file
    // closed, the archive stream fails and fanOut aborts every upload (temp file, multipart).
    // Once the archive is written the uploads may still be sending (a stalled S3 part): the
    // signal aborts them too, so a time limit or SIGTERM is honoured until the very end.
    const onAbort = () => {
      const reason = stopReason(request.signal!);
      writer.abort(reason);
      for (const upload of uploads) void upload.abort(reason).catch(() => undefined);
    };
    request.signal?.addEventListener('abort', onAbort, { once: true });

    let archiveError: Error | undefined;
    try {
      try {
        // Files are queued while the dumps stream, so the archive compresses them beside the
        // dump (its look-ahead) instead of after it; both must finish before the manifest.
        const settled = await Promise.allSettled([
          this.addDatabases(writer, connections),
          withFiles ? this.addFiles(writer, request, report) : Promise.resolve(),
        ]);
        const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
        report.databases = (settled[0] as PromiseFulfilledResult<DumpFacts[]>).value;
        const summary = await writer.finish({
          databases: report.databases,
          unreadableFiles: report.unreadableFiles.map((f) => f.path),
        });
        report.archiveBytes = summary.bytes;
        report.archiveSha256 = summary.sha256;
      } catch (err) {
        archiveError = err;
        writer.abort(err);
      }

      // fanOut rejects (having aborted every upload) when the archive stream itself failed.
      const results = await delivery.catch(() => [] as Awaited<typeof delivery>);
      for (const [i, upload] of uploads.entries()) {
        report.destinations.push(await this.settle(upload, uploadDisks[i], results[i], archiveError, report.archiveBytes));
      }
    } finally {
      request.signal?.removeEventListener('abort', onAbort);
    }
    if (archiveError) throw archiveError;
    if (request.signal?.aborted) {
      // Stopped while settling: an upload that completed meanwhile is removed again, so nothing
      // stays under the backup's name on any disk (abort() of a completed upload deletes it).
      await Promise.all(uploads.map((u) => u.abort(stopReason(request.signal!)).catch(() => undefined)));
      for (const d of report.destinations) d.ok = false;
      throwIfStopped(request.signal);
    }
  }

  private async settle(
    upload: DestinationUpload,
    disk: string,
    result: { ok: boolean; error?: Error } | undefined,
    archiveError: Error | undefined,
    size: number,
  ): Promise<DestinationOutcome> {
    if (archiveError || !result?.ok) {
      // A destination that failed itself reports its own cause: when it was the last one, the
      // archive error is only "every destination failed", which names nothing.
      const cause = (result && !result.ok ? result.error : undefined) ?? archiveError;
      await upload.abort(cause).catch(() => undefined);
      return { disk, ok: false, key: upload.key, error: this.message(cause ?? 'upload failed') };
    }
    try {
      const stored = await upload.complete(size);
      this.logger.log(`Backup stored on ${disk}: ${upload.key} (${stored.size} bytes)`);
      return { disk, ok: true, key: upload.key, sizeBytes: stored.size };
    } catch (err) {
      await upload.abort(err).catch(() => undefined);
      return { disk, ok: false, key: upload.key, error: this.message(err) };
    }
  }

  private async addDatabases(writer: ZipWriter, connections: Awaited<ReturnType<ConnectionResolver['resolve']>>): Promise<DumpFacts[]> {
    const facts: DumpFacts[] = [];
    for (const connection of connections) {
      const name = dumpEntryName(connection.driver, connection.database);
      this.logger.log(`Dumping ${connection.driver} database "${connection.name}" → ${name}`);
      const handle = dumperFor(connection.driver).dump(connection);
      const entry = writer.addEntry(name, handle.stream, { kind: 'database-dump', mtime: new Date() });
      // Both must succeed: the tool's exit status and the archive entry.
      const [dumpFacts] = await Promise.all([
        handle.facts,
        entry.catch((err) => {
          handle.cancel(err);
          throw err;
        }),
      ]);
      facts.push(dumpFacts);
    }
    return facts;
  }

  /**
   * Adds every selected file without waiting for each to be written: up to FILES_IN_FLIGHT are
   * queued at once (open file handles), so the archive can compress the next ones while it
   * writes the current one. The first failure stops the walk.
   */
  private async addFiles(writer: ZipWriter, request: RunRequest, report: RunReport): Promise<void> {
    const { files } = this.options;
    const alwaysExclude = this.destinations.localRoots();
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    const unreadableFile = (path: string, err: unknown) => {
      report.unreadableFiles.push({ path, error: this.message(err) });
      this.logger.warn(`Cannot read ${path}: ${this.message(err)} (listed in the manifest as unreadable)`);
    };
    const add = (file: { absolutePath: string; archivePath: string; mtime?: Date; mode?: number }, source: SmallFileSource) => {
      const written: Promise<void> = writer.addEntry(file.archivePath, source, { kind: 'file', mtime: file.mtime, mode: file.mode }).then(
        () => {
          report.files++;
          inFlight.delete(written);
        },
        (err) => {
          // A small file that vanished since the walk is reported, not fatal (the archive left it out).
          if (err instanceof UnreadableSourceError) unreadableFile(file.absolutePath, err.reason);
          else failure ??= err;
          inFlight.delete(written);
        },
      );
      inFlight.add(written);
    };
    const selected = request.files
      ? selectListedFiles(this.options.appRoot, request.files)
      : selectFiles({
          root: this.options.appRoot,
          include: files.include,
          exclude: [...files.exclude, ...(request.exclude ?? [])],
          followSymlinks: files.followSymlinks,
          alwaysExclude,
          // Each file is opened below straight away, and a failure reported the same way; its
          // size, time and mode are read from the open file (on a worker, for most).
          checkReadable: false,
          statFiles: false,
        });
    for await (const file of selected) {
      throwIfStopped(request.signal);
      if (failure) break;
      if ('unreadable' in file) {
        unreadableFile(file.absolutePath, file.error);
        continue;
      }
      // Opened by the archive (on a worker thread for most, without a round trip here): read
      // whole up to WHOLE_FILE_BYTES, streamed when larger; one that cannot be opened any more is
      // left out and reported below.
      add(file, new SmallFileSource(file.absolutePath, files.followSymlinks));
      while (inFlight.size >= FILES_IN_FLIGHT) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    if (failure) throw failure;
  }

  /**
   * Emits the events of a finished run (done by `run` unless `emitEvents: false`). Awaits the
   * listeners (emitAsync) so a CLI process never exits before its failure mail is out.
   */
  async emitOutcome(report: RunReport, request: RunRequest): Promise<void> {
    if (!this.events) return;
    const at = new Date().toISOString();
    const meta: BackupEventMeta = { disableNotifications: !!request.disableNotifications };
    for (const d of report.destinations) {
      if (d.ok) {
        const ev: BackupSucceededEvent = {
          appName: this.options.appName,
          destination: d.disk,
          at,
          backupName: d.key,
          sizeBytes: d.sizeBytes ?? 0,
          durationMs: report.durationMs,
        };
        await this.events.emitAsync(BackupEvents.BackupSucceeded, ev, meta);
      } else {
        const ev: BackupFailedEvent = {
          appName: this.options.appName,
          destination: d.disk,
          at,
          backupName: d.key,
          error: d.error ?? 'unknown error',
        };
        await this.events.emitAsync(BackupEvents.BackupFailed, ev, meta);
      }
    }
    if (report.error && report.destinations.length === 0) {
      const ev: BackupFailedEvent = { appName: this.options.appName, at, backupName: report.key, error: report.error };
      await this.events.emitAsync(BackupEvents.BackupFailed, ev, meta);
    }
  }

  private message(err: unknown): string {
    return this.redactor.redact(err instanceof Error ? err.message : String(err));
  }
}

/**
 * A --filename names one backup: one that exists on any disk is kept unless the caller asked to
 * replace it (a full backup silently became a files-only one). A disk that cannot answer is left
 * to the upload, which reports it.
 */
async function refuseExisting(targets: BackupDestination[], key: string): Promise<void> {
  for (const target of targets) {
    const existing = await target.stat(key).catch(() => null);
    if (existing) {
      throw new BackupError(
        `A backup "${key}" already exists on disk "${target.name}"; nothing was written. Pass --overwrite to replace it, or choose another --filename`,
        'Pass --overwrite to replace it, or another --filename.',
      );
    }
  }
}

/** The error a stopped signal stands for: its reason when that is an Error. */
function stopReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new BackupCancelledError(signal.reason);
}

function throwIfStopped(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw stopReason(signal);
}

/** `db-dumps/<driver>-<database>.sql`; SQLite databases are named by their file's base name. */
export function dumpEntryName(driver: string, database: string): string {
  const base = database
    .split(/[\\/]/)
    .pop()!
    .replace(/\.(sqlite3?|db)$/i, '');
  return `db-dumps/${driver}-${base.replace(/[^A-Za-z0-9._-]+/g, '_')}.sql`;
}

/** The uploads that count their bytes (S3), for the progress line. */
function uploadProgress(uploads: DestinationUpload[]): Array<{ disk: string; bytes: number }> {
  return uploads.flatMap((u) => (u.uploadedBytes === undefined ? [] : [{ disk: u.destination, bytes: u.uploadedBytes }]));
}
