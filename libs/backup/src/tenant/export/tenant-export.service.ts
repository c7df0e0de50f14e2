import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { Readable } from 'node:stream';
import { SmallFileSource, ZipWriter } from '../../archive';
import { backupFileName } from '../../catalog/backup-key';
import { BACKUP_OPTIONS } from '../../config/backup-options.token';
import { secretsOf } from '../../config/secrets';
import { BackupError } from '../../common/backup.error';
import { Redactor } from '../../common/redact';
import { BackupModuleOptions } from '../../config/backup-options.interface';
import { DestinationUpload } from '../../destinations/destination.interface';
import { fanOut } from '../../destinations/fan-out';
import { DestinationRegistry } from '../../destinations/destination.registry';
import { CleanupService } from '../../cleanup/cleanup.service';
import {
  EachTenantDeps,
  EachTenantReport,
  EachTenantRequest,
  exportAndCleanTenant,
  exportEachTenant,
  TenantRunJob,
  TenantRunResult,
  tenantIds,
} from './each-tenant';
import { openSession } from '../sessions/open-session';
import { SqlSession } from '../sessions/sql.session';
import { TenantExportFacts, TenantExportReport, TenantExportRequest, tenantDataEntry, tenantExportFolder } from './tenant-export.types';
import { liveTenantFiles } from './tenant-files';
import { parseTenantId } from '../scope/tenant-id';
import { assertTenantExists, liveColumns, tenantJsonLines } from './tenant-rows';
import { TenantScopeService } from '../scope/tenant-scope.service';
import { TenantExportFailedError } from '../tenant.errors';
import { audited, AUDIT_TRAIL, AuditRecorder } from '../../audit/audit.hook';
import { tenantExportFacts } from './tenant-export.audit';

/** A tenant's files queued in the archive at once (open file handles, small files in memory). */
const TENANT_FILES_IN_FLIGHT = 16;

/**
 * Exports one tenant: its rows of every scoped table as JSON Lines (`tenant-data/<table>.jsonl`,
 * streamed from a read-only snapshot, one bound parameter per query) and its files, in one
 * archive stored as `<BACKUP_NAME>/tenants/<id>/<date>.zip`. The manifest's `tenant` field
 * holds the row counts and the columns of every table.
 *
 * @example const report = await tenantExports.export({ tenantId: '3', disk: 's3' });
 */
@Injectable()
export class TenantExportService {
  private readonly logger = new Logger('TenantExport');

  constructor(
    @Inject(BACKUP_OPTIONS) private readonly options: BackupModuleOptions,
    private readonly destinations: DestinationRegistry,
    private readonly scopes: TenantScopeService,
    private readonly cleanup: CleanupService,
    @Optional() @Inject(AUDIT_TRAIL) private readonly audit?: AuditRecorder,
  ) {}

  async export(request: TenantExportRequest): Promise<TenantExportReport> {
    const context = { destination: request.disk ?? this.options.disks[0], secrets: [request.password] };
    return audited(this.audit, 'tenant-export', () => this.exportNow(request), tenantExportFacts, context);
  }

  /**
   * `backup:run --each-tenant`: every tenant of the tenant table exported, then the retention
   * plan applied to each tenant's own folder (see each-tenant.ts).
   */
  async exportAll(request: EachTenantRequest = {}): Promise<EachTenantReport> {
    return exportEachTenant(this.eachTenantDeps(request.disk), request);
  }

  /** The tenant ids of the tenant table (what `backup:run --each-tenant` exports). */
  async tenantIds(): Promise<string[]> {
    return tenantIds(this.scopes);
  }

  /** One tenant of a queued `backup:run --each-tenant` (see exportAndCleanTenant). */
  async exportForRun(job: Omit<TenantRunJob, 'disk'> & { disk?: string }, onStep?: (step: string) => void): Promise<TenantRunResult> {
    const deps = this.eachTenantDeps(job.disk);
    return exportAndCleanTenant(deps, { ...job, disk: deps.disk }, onStep);
  }

  /** The disk `--each-tenant` writes to: the one asked for, or the first of BACKUP_DISKS. */
  eachTenantDisk(disk?: string): string {
    return disk ?? this.options.disks[0] ?? 'local';
  }

  private eachTenantDeps(disk?: string): EachTenantDeps {
    return {
      appName: this.options.appName,
      disk: this.eachTenantDisk(disk),
      retention: this.options.retention,
      scopes: this.scopes,
      cleanup: this.cleanup,
      exportOne: (r: TenantExportRequest) => this.export(r),
    };
  }

  private async exportNow(request: TenantExportRequest): Promise<TenantExportReport> {
    const started = Date.now();
    const step = request.onStep ?? ((m: string) => this.logger.log(m));
    const scope = await this.scopes.scope();
    const id = parseTenantId(request.tenantId, scope.key);
    const connection = this.scopes.connection();
    const disk = this.destinations.get(request.disk ?? this.options.disks[0] ?? 'local');
    const password = request.password ?? this.options.archive.password;
    const encryption = request.password ? 'aes256' : this.options.archive.encryption;
    const redactor = new Redactor([...secretsOf(this.options), request.password]);
    const key = `${tenantExportFolder(this.options.appName, id)}${backupFileName(request.now ?? new Date(), request.prefix ?? '')}`;

    const session = await openSession(connection);
    let upload: DestinationUpload | undefined;
    try {
      await session.begin('read');
      await assertTenantExists(session, scope, id, `the database "${connection.name}"`);
      const columns = await liveColumns(session, scope);
      const files = await liveTenantFiles(this.options.appRoot, this.scopes.tenantOptions.files ?? [], id, this.destinations.localRoots());

      await disk.checkReachable();
      upload = await disk.openUpload(key);
      const writer = new ZipWriter({
        encryption,
        password,
        level: this.options.archive.compressionLevel,
        appName: this.options.appName,
        threads: this.options.archive.threads,
      });
      const delivery = fanOut(writer.output, [upload]);
      delivery.catch(() => undefined); // looked at below; a failure meanwhile is not unhandled
      const facts: TenantExportFacts = {
        formatVersion: 1,
        tenantId: String(id),
        tenantTable: scope.key.table,
        keyColumn: scope.key.column,
        column: scope.column,
        driver: connection.driver,
        tables: [],
        files: 0,
        sharedTables: scope.shared,
        unplacedTables: scope.unplaced.map((u) => u.table),
      };
      let bytes = 0;
      try {
        // Every table is queued at once: the writer compresses one while the server selects the
        // next (the session runs their queries one after the other, in this order).
        await Promise.all(
          scope.tables.map(({ table }) => {
            const exported = columns.get(table)!.filter((c) => !c.generated);
            const counter = { rows: 0 };
            const entry = tenantDataEntry(table);
            return writer
              .addEntry(entry, Readable.from(tenantJsonLines(session, scope, table, exported, id, counter)), {
                kind: 'tenant-data',
                mtime: new Date(),
              })
              .then(() => {
                facts.tables.push({ table, entry, rows: counter.rows, columns: exported.map((c) => c.name) });
                step(`${table}: ${counter.rows} row(s)`);
              });
          }),
        );
        // As in a backup: small files read and encoded whole on the worker threads, a few queued
        // at once so the next are read and compressed while one is written. A file that cannot
        // be read fails the export (a tenant's export is all of its files or nothing).
        const inFlight = new Set<Promise<void>>();
        for (const f of files) {
          // Read whole or streamed by the archive, as its size is when it is opened.
          const written = writer
            .addEntry(f.archivePath, new SmallFileSource(f.absolutePath), { kind: 'file', mtime: f.mtime, mode: f.mode })
            .then(() => {
              facts.files++;
            });
          inFlight.add(written);
          void written.then(
            () => inFlight.delete(written),
            () => undefined,
          );
          while (inFlight.size >= TENANT_FILES_IN_FLIGHT) await Promise.race(inFlight);
        }
        await Promise.all(inFlight);
        const summary = await writer.finish({ tenant: facts });
        bytes = summary.bytes;
      } catch (err) {
        writer.abort(err);
        const results = await delivery.catch(() => undefined);
        // A destination that failed itself names the cause (disk full, S3 refused); the archive's
        // own error then only says that its output was closed.
        const own = results?.[0] && !results[0].ok ? results[0].error : undefined;
        throw own ?? err;
      }
      const [result] = await delivery;
      if (!result?.ok) throw result?.error ?? new Error('the upload failed');
      await upload.complete(bytes);
      upload = undefined;
      await session.commit();
      // No "exported" step here: every caller prints the returned report, so it would say it twice.
      return {
        tenantId: String(id),
        disk: disk.name,
        key,
        bytes,
        encrypted: encryption === 'aes256',
        tables: Object.fromEntries(facts.tables.map((t) => [t.table, t.rows])),
        files: facts.files,
        durationMs: Date.now() - started,
      };
    } catch (err) {
      await upload?.abort(err).catch(() => undefined);
      if (err instanceof BackupError) throw err;
      throw new TenantExportFailedError(
        `The export of tenant ${id} failed: ${redactor.redact(err instanceof Error ? err.message : String(err))}`,
        "Nothing was stored under the export's name; fix the cause and run it again.",
      );
    } finally {
      await session.rollback().catch(() => undefined);
      await session.close().catch(() => undefined);
    }
  }
}
