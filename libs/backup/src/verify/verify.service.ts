import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { unencryptedWarning, ZipReader } from '../archive';
import { BACKUP_OPTIONS } from '../config/backup-options.token';
import { secretsOf } from '../config/secrets';
import { Redactor } from '../common/redact';
import { BackupModuleOptions } from '../config/backup-options.interface';
import { BackupDestination } from '../destinations/destination.interface';
import { ConnectionResolver } from '../sources/connection.resolver';
import { DestinationRegistry } from '../destinations/destination.registry';
import { ConnectionInfo, DatabaseDriver } from '../sources/connection-info';
import { loaderFor } from '../sources/dumper.registry';
import { firstLine, openTrusted } from '../restore/archive.opener';
import { BackupLocator, LocatedBackup } from '../restore/backup.locator';
import { ArchiveLayout, readLayout } from '../restore/archive.layout';
import { ArchivedDump } from '../restore/dump.matcher';
import { openDump } from '../restore/dump.stream';
import { RestoreRequestError } from '../restore/restore.errors';
import { checkLoadedRows } from '../restore/row-count.check';
import { createScratch, removeDeadScratches, verifyInterruption } from './scratch.database';
import { BackupVerification, TestRestoreResult, VerifyEvents, VerifyRequest, VerifyResult } from './verify.events';
import { audited, AUDIT_TRAIL, AuditRecorder } from '../audit/audit.hook';
import { verifyFacts } from './verify.audit';

const family = (d: DatabaseDriver) => (d === 'mariadb' ? 'mysql' : d);

/**
 * Checks backups where they are stored: every entry read to the end (AES verifier, HMAC,
 * CRC-32, size, manifest SHA-256) and, with a test restore, every dump loaded into a scratch
 * database that is created and dropped here, its rows per table compared with the manifest (an
 * archive without one, spatie/laravel-backup's, records none: the rows loaded are reported).
 * Each result is emitted as `backup.verify.succeeded` / `backup.verify.failed`.
 *
 * @example
 * const { ok, backups } = await verifyService.verify({ latest: true, testRestore: true });
 */
@Injectable()
export class VerifyService {
  private readonly logger = new Logger('Verify');
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

  async verify(request: VerifyRequest = {}): Promise<VerifyResult> {
    const run = () => this.verifyAll(request).finally(() => (verifyInterruption.by ? new Promise<never>(() => undefined) : undefined));
    return audited(this.audit, 'verify', run, verifyFacts, {
      destination: request.disk ?? this.options.disks[0],
      backupName: request.name,
    });
  }

  private async verifyAll(request: VerifyRequest): Promise<VerifyResult> {
    const started = Date.now();
    const chosen = [request.name ? 'a backup name' : '', request.latest ? '--latest' : '', request.all ? '--all' : ''].filter(Boolean);
    if (chosen.length > 1) throw new RestoreRequestError(`${chosen.join(' and ')} cannot be combined`, 'Pass one of them.');
    const disk = this.destinations.get(request.disk ?? this.options.disks[0] ?? 'local');
    const locator = new BackupLocator(this.options.appName, this.options.archive.filenamePrefix);
    const targets = request.all
      ? await locator.list(disk)
      : [request.name ? await locator.find(disk, request.name) : await locator.latest(disk)];
    if (targets.length === 0) await locator.latest(disk); // throws the "no backups" error
    if (request.testRestore) await this.removeDeadScratches();
    const backups: BackupVerification[] = [];
    for (const backup of targets) {
      const result = await this.verifyOne(disk, backup, !!request.testRestore, !!request.allowUnencrypted);
      backups.push(result);
      this.events?.emit(result.ok ? VerifyEvents.VerifySucceeded : VerifyEvents.VerifyFailed, result);
    }
    return { ok: backups.every((b) => b.ok), destination: disk.name, backups, durationMs: Date.now() - started };
  }

  private async verifyOne(
    disk: BackupDestination,
    backup: LocatedBackup,
    testRestore: boolean,
    allowUnencrypted: boolean,
  ): Promise<BackupVerification> {
    const started = Date.now();
    const result: BackupVerification = {
      appName: this.options.appName,
      destination: disk.name,
      backupName: backup.key,
      ok: false,
      sizeBytes: backup.size,
      entriesChecked: 0,
      bytesChecked: 0,
      faults: [],
      integrityMs: 0,
      durationMs: 0,
      at: '',
    };
    let zip: ZipReader | undefined;
    try {
      // The same door as a restore: a plain archive is refused before its entries (or dumps) are read.
      const opened = await openTrusted(disk, backup, {
        password: this.options.archive.password,
        allowUnencrypted,
        threads: this.options.archive.threads,
      });
      zip = opened.zip;
      if (opened.unencrypted.length) result.warning = unencryptedWarning(opened.unencrypted);
      const report = await zip.verify();
      result.entriesChecked = report.entriesChecked;
      result.bytesChecked = report.bytes;
      result.faults = report.faults.map((f) => ({ entry: f.entry, message: this.redactor.redact(firstLine(f.message)) }));
      result.integrityMs = Date.now() - started;
      result.ok = report.ok;
      const layout = report.ok ? await readLayout(zip, backup.key) : undefined;
      if (layout?.kind === 'spatie') Object.assign(result, { layout: layout.kind, unchecked: layout.unchecked });
      if (layout && testRestore) {
        const testStarted = Date.now();
        result.testRestore = await this.testRestore(zip, layout);
        result.testRestoreMs = Date.now() - testStarted;
        result.ok = result.testRestore.every((t) => t.ok);
      }
    } catch (err) {
      result.ok = false;
      result.error = this.redactor.redact(err instanceof Error ? err.message : String(err));
      if (!result.integrityMs) result.integrityMs = Date.now() - started;
    } finally {
      await zip?.close();
    }
    result.durationMs = Date.now() - started;
    result.at = new Date().toISOString();
    const line = `${result.ok ? 'OK' : 'FAILED'} ${backup.key} on ${disk.name} in ${result.durationMs} ms`;
    if (result.ok) this.logger.log(line);
    else this.logger.warn(`${line}: ${result.error ?? result.faults.map((f) => f.message).join('; ') ?? ''}`);
    return result;
  }

  private async testRestore(zip: ZipReader, layout: ArchiveLayout): Promise<TestRestoreResult[]> {
    const results: TestRestoreResult[] = [];
    for (const dump of layout.dumps) results.push(await this.testRestoreOne(zip, dump));
    return results;
  }

  private async testRestoreOne(zip: ZipReader, dump: ArchivedDump): Promise<TestRestoreResult> {
    const started = Date.now();
    const { driver, database } = dump.facts;
    const result: TestRestoreResult = {
      driver,
      database,
      scratchDatabase: '',
      scratchDropped: false,
      ok: false,
      tables: [],
      durationMs: 0,
    };
    const server = this.serverFor(driver);
    if (!server) {
      result.error = `No configured ${driver} connection to create a scratch database on`;
      result.durationMs = Date.now() - started;
      return result;
    }
    let scratch: Awaited<ReturnType<typeof createScratch>> | undefined;
    try {
      scratch = await createScratch(server, database);
      result.scratchDatabase = scratch.connection.database;
      const loader = loaderFor(server.driver);
      const acknowledged = await loader.load(scratch.connection, await openDump(zip, dump.entry, dump.compression), {
        jobs: this.options.restore?.jobs,
      });
      result.tables = await checkLoadedRows(loader, scratch.connection, dump.noRowCounts ? undefined : dump.facts.tables, acknowledged);
      result.ok = result.tables.every((t) => t.ok);
    } catch (err) {
      result.error = this.redactor.redact(firstLine(err instanceof Error ? err.message : String(err)));
    } finally {
      if (scratch) {
        result.scratchDropped = await scratch.drop().catch(() => false);
        if (!result.scratchDropped) {
          result.ok = false;
          result.error ??= `The scratch database "${result.scratchDatabase}" could not be dropped; drop it by hand`;
        }
      }
    }
    result.durationMs = Date.now() - started;
    return result;
  }

  /** Scratch databases of verifies and tenant restores that were killed: dropped, and said. */
  private async removeDeadScratches(): Promise<void> {
    for (const name of this.options.databases) {
      try {
        const server = this.connections.resolveOne(name);
        for (const dropped of await removeDeadScratches(server)) {
          this.logger.warn(`Removed scratch database "${dropped}", left by an interrupted verify or tenant restore`);
        }
      } catch (err) {
        this.logger.warn(
          `Could not look for scratch databases left by interrupted verifies: ${this.redactor.redact(firstLine(err instanceof Error ? err.message : String(err)))}`,
        );
      }
    }
  }

  /** A configured connection on a server of the dump's driver (SQLite needs none). */
  private serverFor(driver: DatabaseDriver): ConnectionInfo | undefined {
    if (driver === 'sqlite') return { name: 'scratch', driver: 'sqlite', database: '' };
    const candidates: ConnectionInfo[] = [...(this.options.connections ?? [])];
    for (const name of this.options.databases) {
      try {
        candidates.push(this.connections.resolveOne(name));
      } catch {
        /* a name that does not resolve cannot host a scratch database */
      }
    }
    return candidates.find((c) => family(c.driver) === family(driver));
  }
}
