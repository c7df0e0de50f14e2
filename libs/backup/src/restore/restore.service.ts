import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { dirname, resolve } from 'node:path';
import { backupFileName } from '../catalog/backup-key';
import { BACKUP_OPTIONS } from '../config/backup-options.token';
import { BackupService } from '../backup/backup.service';
import { BackupModuleOptions } from '../config/backup-options.interface';
import { BackupDestination } from '../destinations/destination.interface';
import { ConnectionResolver } from '../sources/connection.resolver';
import { DestinationRegistry } from '../destinations/destination.registry';
import { ConnectionInfo } from '../sources/connection-info';
import { CorruptArchiveError, TruncatedArchiveError, unencryptedWarning, ZipReader } from '../archive';
import { chooseFilesPrefix, FilesPrefix } from '../spatie/files.prefix';
import { ArchivedFile, ArchiveLayout } from './archive.layout';
import { checkBinding } from './archive.binding';
import { checkArchive, openArchive } from './archive.opener';
import { failureSummary } from './failure.summary';
import { BackupLocator } from './backup.locator';
import { stageDatabase, StagedDatabase, targetState } from './database.restorer';
import { pairDumps } from './dump.matcher';
import { FileToRestore, planFiles, StagedFiles, stageFiles } from './files.restorer';
import { removeRestoreDebris } from './debris';
import { RestoreProgress } from './restore.progress';
import { RestoreFailedError, RestoreNotConfirmedError, RestoreRequestError, SafetyBackupFailedError } from './restore.errors';
import { ConfirmationQuestion, DatabaseRestorePlan, DatabaseRestoreResult, RestoreReport, RestoreRequest } from './restore.types';
import { audited, AUDIT_TRAIL, AuditRecorder } from '../audit/audit.hook';
import { restoreFacts } from './restore.audit';

interface Plan {
  /** What --allow-unencrypted / --allow-other-app / --allow-other-engine let through. */
  warnings: string[];
  databases: Array<{ plan: DatabaseRestorePlan; connection: ConnectionInfo }>;
  skippedDumps: RestoreReport['skippedDumps'];
  files?: { list: FileToRestore[]; target: string; inPlace: boolean; strippedPrefix?: FilesPrefix };
}

const PREFIX_HOW: Record<FilesPrefix['how'], string> = {
  flag: '--strip-prefix',
  'app-root': "this app's root, where they were archived",
  'common-root': 'their common folder',
};

/**
 * Restores a backup from any disk. Order matters: open the archive (password, manifest or, for
 * an archive without one, spatie/laravel-backup's layout: see archive.layout.ts), plan
 * and refuse anything unsafe, verify what will be used (HMAC, sizes, SHA-256; dumps bound for a
 * staging copy are verified while they load), ask for confirmation, stage the databases, take a
 * safety backup, and only then put databases and files in place. Every step before the last
 * changes nothing live.
 *
 * @example
 * const report = await restoreService.restore({ latest: true, toDatabase: 'shop_restore' });
 */
@Injectable()
export class RestoreService {
  private readonly logger = new Logger('Restore');
  /** Where the restore running in this process is (read by the CLI on SIGTERM/SIGINT). */
  progress = new RestoreProgress();

  constructor(
    @Inject(BACKUP_OPTIONS) private readonly options: BackupModuleOptions,
    private readonly destinations: DestinationRegistry,
    private readonly connections: ConnectionResolver,
    private readonly backups: BackupService,
    @Optional() @Inject(AUDIT_TRAIL) private readonly audit?: AuditRecorder,
  ) {}

  async restore(request: RestoreRequest): Promise<RestoreReport> {
    // Once a signal handler took over (it reports, audits and exits), the failure it causes here is only its echo.
    const run = () =>
      this.restoreNow(request).catch((err) => (this.progress.stopped ? new Promise<never>(() => undefined) : Promise.reject(err)));
    return audited(this.audit, 'restore', run, restoreFacts, {
      destination: request.disk ?? this.options.disks[0],
      backupName: request.name,
    });
  }

  private async restoreNow(request: RestoreRequest): Promise<RestoreReport> {
    const started = Date.now();
    const step = (m: string) => (request.onStep ? request.onStep(m) : this.logger.log(m));
    const progress = (this.progress = new RestoreProgress());
    progress.phase = 'checking';
    if (request.onlyDb && request.onlyFiles) {
      throw new RestoreRequestError('--only-db and --only-files cannot be combined', 'Pass one of them, or neither to restore both.');
    }
    // A ".." in the target folder is refused before anything is read or written: restored files
    // must land where the operator can see from the path alone.
    if (request.filesTo !== undefined && request.filesTo.split(/[\\/]+/).includes('..')) {
      throw new RestoreRequestError(
        `--files-to "${request.filesTo}" contains a ".." segment; nothing was changed`,
        'Pass a folder below the app root or an absolute path without "..".',
      );
    }
    const disk = this.disk(request.disk);
    const backup = await this.locator().resolve(disk, request);
    step(`Opening ${backup.key} on ${disk.name} (${backup.size} bytes)...`);
    const { zip, layout, unencrypted } = await openArchive(disk, backup, {
      password: this.options.archive.password,
      allowUnencrypted: request.allowUnencrypted,
      threads: this.options.archive.threads,
    });
    try {
      const plan = await this.plan({ zip, layout }, request);
      const archivedFiles = layout.files.length;
      // The plan holds what the restore needs of each file: the layout's own list (an object per
      // file, 3 MB at 70,000 files) is let go for the rest of the run.
      layout.files = [];
      if (unencrypted.length) plan.warnings.unshift(unencryptedWarning(unencrypted));
      if (layout.kind === 'spatie') {
        step(
          `${backup.key} has no manifest.json: read as a spatie/laravel-backup archive (${layout.dumps.length} dump(s), ${archivedFiles} file(s)).`,
        );
        const stripped = plan.files?.strippedPrefix;
        if (stripped?.prefix)
          step(`Its files lose the prefix "${stripped.prefix}" (${PREFIX_HOW[stripped.how]}) and go below ${plan.files!.target}.`);
      }
      for (const warning of plan.warnings) step(warning);
      // A dump loaded into a staging copy or a new database is verified as it loads (its stream
      // fails at the end on any fault and the copy is dropped), and the files are verified as they
      // are written under temporary names (removed on a fault), so each is read once, not twice.
      // Everything else the restore uses is verified before anything is touched; entries it does
      // not use (the files of an --only-db restore) are not read. A dry run reads every entry.
      // Sets of the dumps only: the files (70,000 of them, maybe) are all streamed unless a dry run.
      const streamedDumps = new Set(
        request.dryRun ? [] : plan.databases.filter(({ plan: p }) => p.driver !== 'sqlite').map(({ plan: p }) => p.entry),
      );
      const verifyStarted = Date.now();
      const { checked, streamedFiles } = await this.verifyBeforeRestore(zip, plan, request, streamedDumps, backup.key, step);
      const verified = { entries: checked.entriesChecked, bytes: checked.bytes, durationMs: Date.now() - verifyStarted };
      step(`Archive verified: ${verified.entries} entries, ${verified.bytes} bytes.`);
      const report: RestoreReport = {
        ok: true,
        dryRun: !!request.dryRun,
        disk: disk.name,
        backup: backup.key,
        backupCreatedAt: layout.createdAt,
        ...(layout.kind === 'spatie' ? { layout: layout.kind, unchecked: layout.unchecked } : {}),
        verified,
        databases: plan.databases.map(({ plan: p }) => ({ ...p, created: false, checks: [], ok: true, durationMs: 0 })),
        skippedDumps: plan.skippedDumps,
        ...(plan.warnings.length ? { warnings: plan.warnings } : {}),
        files: plan.files && {
          count: plan.files.list.length,
          bytes: plan.files.list.reduce((s, f) => s + f.size, 0),
          target: plan.files.target,
          inPlace: plan.files.inPlace,
          ...(plan.files.strippedPrefix ? { strippedPrefix: plan.files.strippedPrefix } : {}),
        },
        durationMs: 0,
      };
      if (request.dryRun) {
        report.durationMs = Date.now() - started;
        return report;
      }
      const folders = [...new Set(plan.files?.list.map((f) => dirname(f.target)) ?? [])];
      progress.debris = { disk, appName: this.options.appName, connections: plan.databases.map((d) => d.connection), folders };
      if (request.removeDebris) {
        const removed = await removeRestoreDebris(progress.debris);
        for (const line of removed) step(`Removed ${line}, left by an interrupted restore.`);
      }
      await this.confirm(plan, request);

      report.databases = [];
      // Which live databases to save is decided now: staging may create a missing target.
      const toSave = await this.databasesToSave(plan, request);
      // The files the restore overwrites go into the same safety backup as the databases.
      const filesToSave = request.noSafetyBackup ? [] : (plan.files?.list.filter((f) => f.overwrites).map((f) => f.target) ?? []);
      const takeSafetyBackup = async () => {
        report.safetyBackup = progress.safetyBackup = await this.safetyBackup(toSave, filesToSave, disk, step);
      };
      let stagedFiles: StagedFiles | undefined;
      try {
        if (plan.files) {
          progress.phase = 'files';
          step(`Writing ${plan.files.list.length} file(s) under ${plan.files.target} (temporary names until the end)...`);
          try {
            stagedFiles = await stageFiles(zip, plan.files.list, progress);
          } catch (err) {
            if (err instanceof CorruptArchiveError) {
              throw new CorruptArchiveError(
                err.entry,
                `${err.problem} (found while writing the files under temporary names, which were removed; nothing was changed)`,
              );
            }
            throw err;
          }
        }
        progress.phase = 'staging';
        await this.restoreDatabases(zip, plan, request, step, report.databases, takeSafetyBackup);
        for (const entry of streamedDumps) {
          verified.entries++;
          verified.bytes += zip.entry(entry)?.size ?? 0;
        }
        verified.entries += streamedFiles.entries;
        verified.bytes += streamedFiles.bytes;
        await request.afterSwap?.();
        if (stagedFiles) {
          progress.throwIfStopped();
          progress.phase = 'files';
          step(`Putting ${stagedFiles.count} file(s) in place under ${plan.files!.target}...`);
          await stagedFiles.commit();
        }
      } catch (err) {
        await stagedFiles?.discard().catch(() => undefined);
        const nothingChanged = report.databases.length === 0 && !report.safetyBackup;
        if (nothingChanged && err instanceof SafetyBackupFailedError) throw err;
        if (nothingChanged && err instanceof CorruptArchiveError) {
          if (err.problem.includes('nothing was changed')) throw err;
          throw new CorruptArchiveError(
            err.entry,
            `${err.problem} (found while loading it into a staging copy, which was dropped; nothing was changed)`,
          );
        }
        if (nothingChanged && err instanceof TruncatedArchiveError) {
          throw new TruncatedArchiveError(`${err.detail} (found while loading; the staging copy was dropped, nothing was changed)`);
        }
        const replaced = report.databases.map((d) => `"${d.targetDatabase}"`);
        const untouched = replaced.length
          ? `Already restored: ${replaced.join(', ')}; every other database was left as it was.`
          : plan.databases.length
            ? 'No database was changed: the dump was loaded into a staging copy (or a new database) that was dropped.'
            : '';
        throw new RestoreFailedError(
          `The restore of ${backup.key} failed: ${failureSummary(err instanceof Error ? err.message : String(err))}`,
          `${untouched ? untouched + ' ' : ''}` +
            (report.safetyBackup
              ? `The state before the restore is also in the safety backup ${report.safetyBackup} on ${disk.name}.`
              : 'Fix the cause and run the restore again; the archive itself verified.'),
        );
      }
      report.ok = report.databases.every((d) => d.ok);
      report.durationMs = Date.now() - started;
      progress.phase = 'done';
      return report;
    } finally {
      await zip.close();
    }
  }

  /**
   * Every dump is loaded and checked first (staging databases for existing targets), and only
   * then are they put in place, so a broken dump or a row count mismatch in any of them leaves
   * every live database as it was. The safety backup is taken once the PostgreSQL and MySQL
   * dumps are staged (a damaged dump found while loading then costs no safety backup) and
   * before SQLite, whose staging already replaces the file.
   */
  private async restoreDatabases(
    zip: ZipReader,
    plan: Plan,
    request: RestoreRequest,
    step: (m: string) => void,
    results: DatabaseRestoreResult[],
    beforeLiveChange: () => Promise<void>,
  ): Promise<void> {
    const staged: StagedDatabase[] = [];
    const order = [
      ...plan.databases.filter((d) => d.plan.driver !== 'sqlite'),
      ...plan.databases.filter((d) => d.plan.driver === 'sqlite'),
    ];
    let safe = false;
    try {
      for (const { plan: p, connection } of order) {
        if (p.driver === 'sqlite' && !safe) {
          await beforeLiveChange();
          safe = true;
        }
        // A SQLite file is replaced by its staging itself.
        if (p.driver === 'sqlite') Object.assign(this.progress, { phase: 'swapping', swapping: p.targetDatabase });
        step(`Loading ${p.entry} into ${p.driver} "${p.targetDatabase}"...`);
        staged.push(
          await stageDatabase(zip, p, connection, {
            keepReplaced: request.keepReplaced,
            onStep: step,
            lockWaitSeconds: this.options.restore?.lockWaitSeconds,
            loadJobs: this.options.restore?.jobs,
          }),
        );
      }
      if (!safe) await beforeLiveChange();
    } catch (err) {
      for (const s of staged) await s.discard().catch(() => undefined);
      throw err;
    }
    for (const [i, s] of staged.entries()) {
      try {
        this.progress.throwIfStopped();
        Object.assign(this.progress, { phase: 'swapping', swapping: order[i].plan.targetDatabase });
        results.push(await s.commit());
        this.progress.replaced.push(order[i].plan.targetDatabase);
      } catch (err) {
        for (const rest of staged.slice(i + 1)) await rest.discard().catch(() => undefined);
        throw err;
      }
    }
  }

  /**
   * The verify step before anything is changed: every entry the restore uses and does not
   * stream (a streamed dump or file is checked as it is read, still before anything is put in
   * place; a dry run reads every entry). Returns what the streamed files will add to the count.
   * A method of its own so that the set of every file entry (70,000 names) is let go when the
   * step is done, not held for the rest of the run.
   */
  private async verifyBeforeRestore(
    zip: ZipReader,
    plan: Plan,
    request: RestoreRequest,
    streamedDumps: Set<string>,
    key: string,
    step: (message: string) => void,
  ): Promise<{ checked: Awaited<ReturnType<typeof checkArchive>>; streamedFiles: { entries: number; bytes: number } }> {
    const usedDumps = new Set(plan.databases.map(({ plan: p }) => p.entry));
    const fileEntries = new Set(plan.files?.list.map((f) => f.entry));
    const streamedFiles = { entries: 0, bytes: 0 };
    if (!request.dryRun) {
      for (const e of fileEntries) {
        if (streamedDumps.has(e)) continue;
        streamedFiles.entries++;
        streamedFiles.bytes += zip.entry(e)?.size ?? 0;
      }
    }
    const streamed = {
      size: streamedDumps.size + streamedFiles.entries,
      has: (e: string) => streamedDumps.has(e) || (!request.dryRun && fileEntries.has(e)),
    };
    const used = { has: (e: string) => usedDumps.has(e) || fileEntries.has(e) };
    step(
      request.dryRun
        ? `Verifying every entry of ${key}...`
        : `Verifying ${key}${streamed.size ? ' (database dumps are verified as they load)' : ''}...`,
    );
    // The streamed entries' local headers are checked as they are read (before anything is
    // changed), not here as well: 70,000 files took 70,000 small reads first (~10 s).
    const checked = await checkArchive(
      zip,
      request.dryRun ? undefined : (entry) => used.has(entry) && !streamed.has(entry),
      request.dryRun ? undefined : (entry) => streamed.has(entry),
    );
    return { checked, streamedFiles };
  }

  private async plan(archive: { zip: ZipReader; layout: ArchiveLayout }, request: RestoreRequest): Promise<Plan> {
    const { layout } = archive;
    const dumps = layout.dumps;
    // Bound to this app and its engines before anything is planned, let alone changed.
    const configured = request.onlyFiles
      ? undefined
      : [...new Set([...this.options.databases, ...(request.dbName ? [request.dbName] : [])])];
    const warnings = checkBinding({ appName: layout.appName }, dumps, {
      appName: this.options.appName,
      connections: configured?.map((n) => this.connections.resolveOne(n)),
      allowOtherApp: request.allowOtherApp,
      allowOtherEngine: request.allowOtherEngine,
    });
    const plan: Plan = { warnings, databases: [], skippedDumps: [...layout.unloadable] };
    if (!request.onlyFiles) {
      const names = request.dbName ? [request.dbName] : this.options.databases;
      const connections = names.map((n) => this.connections.resolveOne(n));
      const { pairs, skipped } = pairDumps(connections, dumps, !!request.dbName);
      plan.skippedDumps.push(...skipped);
      if (request.toDatabase && pairs.length > 1) {
        throw new RestoreRequestError(
          `--to-database names one database but ${pairs.length} dumps would be restored`,
          `Pick the connection with --db-name (${pairs.map((p) => p.connection.name).join(', ')}).`,
        );
      }
      if (request.onlyDb && pairs.length === 0) {
        throw new RestoreRequestError(
          'The backup holds no database dump for the configured connections',
          `It holds ${dumps.map((d) => d.entry).join(', ') || 'no dumps at all'}; use --db-name or another backup.`,
        );
      }
      for (const { connection, dump } of pairs) {
        const configured = connection.driver === 'sqlite' ? resolve(connection.database) : connection.database;
        const asked =
          request.toDatabase && (connection.driver === 'sqlite' ? resolve(this.options.appRoot, request.toDatabase) : request.toDatabase);
        const targetDatabase = asked || configured;
        plan.databases.push({
          connection,
          plan: {
            connection: connection.name,
            driver: connection.driver,
            entry: dump.entry,
            sourceDatabase: dump.facts.database,
            targetDatabase,
            inPlace: targetDatabase === configured,
            tables: dump.facts.tables,
            ...(dump.noRowCounts ? { noRowCounts: true } : {}),
            ...(dump.compression ? { compression: dump.compression } : {}),
          },
        });
      }
    }
    if (!request.onlyDb) {
      const target = resolve(this.options.appRoot, request.filesTo ?? '.');
      const { files, strippedPrefix } = this.filesOf(layout, request);
      const list = await planFiles(archive.zip, files, target);
      if (list.length) plan.files = { list, target, inPlace: !request.filesTo, strippedPrefix };
      else if (request.onlyFiles) throw new RestoreRequestError('The backup holds no files', 'Drop --only-files or pick another backup.');
    }
    if (plan.databases.length === 0 && !plan.files) {
      throw new RestoreRequestError(
        'Nothing to restore from this backup',
        'Check --db-name, --only-db / --only-files and BACKUP_DATABASES.',
      );
    }
    return plan;
  }

  /**
   * The files to restore with their paths below the restore root. Ours are below `files/`;
   * spatie's carry the path they had, whose prefix is cut off (see chooseFilesPrefix).
   */
  private filesOf(layout: ArchiveLayout, request: RestoreRequest): { files: ArchivedFile[]; strippedPrefix?: FilesPrefix } {
    if (layout.kind !== 'spatie') {
      if (request.stripPrefix !== undefined) {
        throw new RestoreRequestError(
          '--strip-prefix applies to archives without manifest.json (spatie/laravel-backup) only',
          "Drop --strip-prefix: this archive's files are restored below the app root as they were archived.",
        );
      }
      return { files: layout.files };
    }
    if (layout.files.length === 0) return { files: [] };
    const chosen = chooseFilesPrefix(
      layout.files.map((f) => f.entry),
      { appRoot: this.options.appRoot, inPlace: !request.filesTo, stripPrefix: request.stripPrefix },
    );
    return { files: layout.files.map((f) => ({ ...f, path: f.entry.slice(chosen.prefix.length) })), strippedPrefix: chosen };
  }

  /** Live data about to be replaced needs `force` or a "yes" from `request.confirm`. */
  private async confirm(plan: Plan, request: RestoreRequest): Promise<void> {
    const databases: string[] = [];
    for (const { plan: p, connection } of plan.databases) {
      const state = await targetState(p, connection);
      if (p.inPlace ? state.exists : state.tables > 0) databases.push(p.targetDatabase);
    }
    const filesRoot = plan.files?.inPlace ? plan.files.target : undefined;
    if ((databases.length === 0 && !filesRoot) || request.force) return;
    const question: ConfirmationQuestion = { databases, filesRoot, expected: databases[0] ?? 'restore' };
    const what = [...databases.map((d) => `database "${d}"`), ...(filesRoot ? [`files under ${filesRoot}`] : [])].join(', ');
    if (request.confirm && (await request.confirm(question))) return;
    throw new RestoreNotConfirmedError(
      `Restoring would replace ${what}; not confirmed, nothing was changed`,
      'Pass --force to overwrite, or restore beside it with --to-database <name> / --files-to <dir>.',
    );
  }

  /** The connections whose live database a restore in place would replace. */
  private async databasesToSave(plan: Plan, request: RestoreRequest): Promise<string[]> {
    if (request.noSafetyBackup) return [];
    const names: string[] = [];
    for (const { plan: p, connection } of plan.databases) {
      if (p.inPlace && (await targetState(p, connection)).exists) names.push(connection.name);
    }
    return names;
  }

  /**
   * `pre-restore-<now>.zip`, or the next free second's name: two restores in one second (or a
   * clock set back) must not meet a safety backup of that name, which is never replaced.
   */
  private async freeSafetyName(disk: BackupDestination): Promise<string> {
    const now = Date.now();
    for (let s = 0; ; s++) {
      const name = backupFileName(new Date(now + s * 1000), 'pre-restore-');
      const taken = await disk.stat(`${this.options.appName}/${name}`).catch(() => null);
      if (!taken || s >= 60) return name;
    }
  }

  /** A backup of the live databases about to be replaced, on the disk the restore reads from. */
  private async safetyBackup(
    names: string[],
    files: string[],
    disk: BackupDestination,
    step: (m: string) => void,
  ): Promise<string | undefined> {
    if (names.length === 0 && files.length === 0) return undefined;
    step(
      `Taking a safety backup of ${[...names, ...(files.length ? [`${files.length} file(s) the restore overwrites`] : [])].join(', ')} first...`,
    );
    const filename = await this.freeSafetyName(disk);
    const report = await this.backups.run({
      onlyDb: files.length === 0,
      onlyFiles: names.length === 0,
      dbNames: names,
      files,
      filename,
      onlyToDisk: disk.name,
      disableNotifications: true,
    });
    // A file that could not be read is not in the safety backup: overwriting it would lose it.
    const unsaved = report.unreadableFiles.map((f) => `${f.path} (${f.error})`);
    if (!report.ok || unsaved.length) {
      const why =
        report.error ??
        (report.destinations
          .map((d) => d.error)
          .filter(Boolean)
          .join('; ') ||
          `cannot read ${unsaved.join(', ')}`);
      throw new SafetyBackupFailedError(
        `The safety backup before the restore failed: ${why}; nothing was changed`,
        'Fix the cause and run again, or pass --no-safety-backup if the current data may be lost.',
      );
    }
    step(`Safety backup stored on ${disk.name}: ${report.key}`);
    return report.key;
  }

  private disk(name?: string): BackupDestination {
    return this.destinations.get(name ?? this.options.disks[0] ?? 'local');
  }

  private locator(): BackupLocator {
    return new BackupLocator(this.options.appName, this.options.archive.filenamePrefix);
  }
}
