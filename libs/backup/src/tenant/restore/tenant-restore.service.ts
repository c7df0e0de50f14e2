import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { unlink } from 'node:fs/promises';
import { unencryptedWarning } from '../../archive';
import { BACKUP_OPTIONS } from '../../config/backup-options.token';
import { secretsOf } from '../../config/secrets';
import { BackupError } from '../../common/backup.error';
import { Redactor } from '../../common/redact';
import { BackupModuleOptions } from '../../config/backup-options.interface';
import { BackupDestination } from '../../destinations/destination.interface';
import { DestinationRegistry } from '../../destinations/destination.registry';
import { checkBinding } from '../../restore/archive.binding';
import { firstLine, openVerified, VerifiedArchive } from '../../restore/archive.opener';
import { BackupLocator, LocatedBackup } from '../../restore/backup.locator';
import { archivedDumps, dumpFor } from '../../restore/dump.matcher';
import { planFiles, restoreFiles } from '../../restore/files.restorer';
import { manifestFiles } from '../../restore/archive.layout';
import { BackupNotFoundError } from '../../restore/restore.errors';
import { checkLoadedRows, describeMismatches } from '../../restore/row-count.check';
import { ConnectionInfo } from '../../sources/connection-info';
import { loaderFor } from '../../sources/dumper.registry';
import { createScratch } from '../../verify/scratch.database';
import { openSession } from '../sessions/open-session';
import { jsonLinesRows, SavedTable, SavedTenant, tablesFromDatabase } from './saved-tenant';
import { tenantCondition } from '../scope/scope.sql';
import { LiveColumn, SqlSession } from '../sessions/sql.session';
import { decodeValue } from '../export/tenant-data.codec';
import { TenantExportService } from '../export/tenant-export.service';
import { TenantExportFacts, tenantExportFolder } from '../export/tenant-export.types';
import { liveTenantFiles, tenantFileMatcher } from '../export/tenant-files';
import { parseTenantId } from '../scope/tenant-id';
import { countAllRows, countTenantRows, liveColumns } from '../export/tenant-rows';
import { TenantScopeService } from '../scope/tenant-scope.service';
import { TenantRestoreReport, TenantRestoreRequest, TenantTablePlan } from './tenant-restore.types';
import {
  TenantExportMismatchError,
  TenantRestoreFailedError,
  TenantRestoreNotConfirmedError,
  TenantSchemaChangedError,
  UnknownTenantError,
} from '../tenant.errors';
import { TenantScope } from '../scope/tenant.scope';
import { audited, AUDIT_TRAIL, AuditRecorder } from '../../audit/audit.hook';
import { tenantRestoreFacts } from './tenant-restore.audit';

/**
 * Replaces one tenant's rows (and files) with a saved state, from a tenant export or from a full
 * backup loaded into a scratch database. Everything that can be refused is checked first (id,
 * archive integrity, tenant of the export, schema); then a safety export; then ONE transaction
 * on the live database deletes the tenant's rows children first and inserts the saved ones
 * parents first. Only rows matched by the tenant's own condition are written; before COMMIT the
 * row counts of every other tenant are compared, so a cascade reaching them rolls everything back.
 *
 * @example await tenantRestores.restore({ tenantId: '3', fromBackup: 'latest', force: true });
 */
@Injectable()
export class TenantRestoreService {
  private readonly logger = new Logger('TenantRestore');

  constructor(
    @Inject(BACKUP_OPTIONS) private readonly options: BackupModuleOptions,
    private readonly destinations: DestinationRegistry,
    private readonly scopes: TenantScopeService,
    private readonly exports: TenantExportService,
    @Optional() @Inject(AUDIT_TRAIL) private readonly audit?: AuditRecorder,
  ) {}

  async restore(request: TenantRestoreRequest): Promise<TenantRestoreReport> {
    const context = {
      destination: request.disk ?? this.options.disks[0],
      backupName: request.fromExport ?? request.fromBackup,
      secrets: [request.password],
    };
    return audited(this.audit, 'tenant-restore', () => this.restoreNow(request), tenantRestoreFacts, context);
  }

  private async restoreNow(request: TenantRestoreRequest): Promise<TenantRestoreReport> {
    const started = Date.now();
    const step = request.onStep ?? ((m: string) => this.logger.log(m));
    if (!!request.fromExport === !!request.fromBackup) {
      throw new TenantRestoreFailedError(
        'Name exactly one source: --from-export <name> or --from-backup <name>',
        'Use "latest" for the newest one.',
      );
    }
    const scope = await this.scopes.scope();
    const id = parseTenantId(request.tenantId, scope.key);
    const connection = this.scopes.connection();
    const disk = this.destinations.get(request.disk ?? this.options.disks[0] ?? 'local');
    const redactor = new Redactor([...secretsOf(this.options), request.password]);

    const kind = request.fromExport ? 'export' : 'backup';
    const located = request.fromExport
      ? await this.locateExport(disk, id, request.fromExport)
      : await this.locateBackup(disk, request.fromBackup!);
    step(`Verifying ${located.key} on ${disk.name}...`);
    const password = kind === 'export' ? (request.password ?? this.options.archive.password) : this.options.archive.password;
    const archive = await openVerified(disk, located, {
      password,
      allowUnencrypted: request.allowUnencrypted,
      threads: this.options.archive.threads,
    });
    if (archive.unencrypted.length) step(unencryptedWarning(archive.unencrypted));
    try {
      // Another app's archive is refused like a restore does; the dump's engine is matched by dumpFor.
      for (const warning of checkBinding(archive.manifest, [], { appName: this.options.appName, allowOtherApp: request.allowOtherApp }))
        step(warning);
    } catch (err) {
      await archive.zip.close();
      throw err;
    }
    let saved: SavedTenant | undefined;
    const live = await openSession(connection);
    try {
      saved = kind === 'export' ? await this.fromExport(archive, scope, id) : await this.fromBackup(archive, scope, id, connection, step);
      const columns = await liveColumns(live, scope);
      checkSchema(scope, saved, columns, located.key);

      const plan: TenantTablePlan[] = [];
      for (const t of saved.tables) plan.push({ table: t.table, delete: await countTenantRows(live, scope, t.table, id), insert: t.rows });
      const patterns = this.scopes.tenantOptions.files ?? [];
      const liveFiles = await liveTenantFiles(this.options.appRoot, patterns, id, this.destinations.localRoots());
      const keep = new Set(saved.files.map((f) => f.target));
      const report: TenantRestoreReport = {
        tenantId: String(id),
        dryRun: !!request.dryRun,
        source: { kind, disk: disk.name, key: located.key },
        tables: plan,
        files: { write: saved.files.length, delete: liveFiles.filter((f) => !keep.has(f.absolutePath)).length },
        durationMs: 0,
      };
      if (request.dryRun) {
        report.durationMs = Date.now() - started;
        return report;
      }
      const current = plan.reduce((s, p) => s + p.delete, 0);
      if (current > 0 && !request.force && !(request.confirm && (await request.confirm({ tenantId: String(id), rows: current })))) {
        throw new TenantRestoreNotConfirmedError(
          `Restoring would replace the ${current} current row(s) of tenant ${id}; not confirmed, nothing was changed`,
          'Pass --force, or look first with --dry-run.',
        );
      }
      if (!request.noSafetyExport && plan.find((p) => p.table === scope.key.table)!.delete > 0) {
        step(`Taking a safety export of tenant ${id} first...`);
        report.safetyExport = (
          await this.exports.export({ tenantId: String(id), disk: disk.name, prefix: 'pre-restore-', onStep: () => undefined })
        ).key;
        step(`Safety export stored on ${disk.name}: ${report.safetyExport}`);
      }

      step(`Replacing tenant ${id}'s rows in one transaction...`);
      try {
        await replaceRows(live, scope, id, saved.tables, columns, plan);
      } catch (err) {
        throw new TenantRestoreFailedError(
          `The restore of tenant ${id} was rolled back, nothing was changed: ${redactor.redact(firstLine(err instanceof Error ? err.message : String(err)))}`,
          err instanceof BackupError && err.hint ? err.hint : 'Fix the cause and run it again.',
        );
      }
      if (saved.files.length || liveFiles.length) {
        step(`Writing ${saved.files.length} file(s), removing ${report.files.delete}...`);
        await restoreFiles(archive.zip, saved.files);
        for (const f of liveFiles) if (!keep.has(f.absolutePath)) await unlink(f.absolutePath).catch(() => undefined);
      }
      report.durationMs = Date.now() - started;
      return report;
    } finally {
      await saved?.close().catch(() => undefined);
      await live.close().catch(() => undefined);
      await archive.zip.close().catch(() => undefined);
    }
  }

  private async locateExport(disk: BackupDestination, id: string | number, name: string): Promise<LocatedBackup> {
    const folder = tenantExportFolder(this.options.appName, id);
    if (name === 'latest') {
      const found: LocatedBackup[] = [];
      for await (const o of disk.list(folder))
        if (o.key.endsWith('.zip') && !o.key.slice(folder.length).includes('/') && !o.key.slice(folder.length).startsWith('pre-restore-'))
          found.push(o);
      found.sort((a, b) => (a.key < b.key ? 1 : -1));
      if (!found[0]) throw new BackupNotFoundError(`${folder}<newest>`, disk.name, []);
      return found[0];
    }
    const trimmed = name.trim().replace(/^\/+/, '');
    const key = trimmed.includes('/') ? trimmed : `${folder}${trimmed.endsWith('.zip') ? trimmed : `${trimmed}.zip`}`;
    const stored = await disk.stat(key);
    if (!stored) throw new BackupNotFoundError(key, disk.name, []);
    return { key, size: stored.size };
  }

  private locateBackup(disk: BackupDestination, name: string): Promise<LocatedBackup> {
    const locator = new BackupLocator(this.options.appName, this.options.archive.filenamePrefix);
    return name === 'latest' ? locator.latest(disk) : locator.find(disk, name);
  }

  private async fromExport(archive: VerifiedArchive, scope: TenantScope, id: string | number): Promise<SavedTenant> {
    const facts = archive.manifest.tenant as TenantExportFacts | undefined;
    if (!facts || !Array.isArray(facts.tables)) {
      throw new TenantExportMismatchError(
        'This archive is not a tenant export (its manifest has no "tenant" section)',
        'Use --from-backup for a full backup.',
      );
    }
    if (facts.tenantId !== String(id)) {
      throw new TenantExportMismatchError(
        `This export holds tenant ${facts.tenantId}, not tenant ${id}; nothing was changed`,
        `Pick an export under ${tenantExportFolder(this.options.appName, id)}.`,
      );
    }
    if (facts.tenantTable !== scope.key.table) {
      throw new TenantSchemaChangedError(
        `The export's tenant table is "${facts.tenantTable}" but the app's is now "${scope.key.table}"`,
        'The schema changed since the export; nothing was changed.',
      );
    }
    const tables: SavedTable[] = facts.tables.map((t) => ({
      table: t.table,
      columns: t.columns,
      rows: t.rows,
      read: () => jsonLinesRows(archive.zip, t.entry),
    }));
    const files = await planFiles(archive.zip, manifestFiles(archive.manifest), this.options.appRoot);
    return { describe: 'the export', tables, files, close: async () => undefined };
  }

  private async fromBackup(
    archive: VerifiedArchive,
    scope: TenantScope,
    id: string | number,
    connection: ConnectionInfo,
    step: (m: string) => void,
  ): Promise<SavedTenant> {
    const dump = dumpFor(connection, archivedDumps(archive.manifest));
    if (!dump)
      throw new TenantRestoreFailedError(
        `The backup holds no dump of ${connection.driver} "${connection.database}"`,
        'Pick another backup.',
      );
    const scratch = await createScratch(connection, connection.database);
    let session: SqlSession | undefined;
    const close = async () => {
      await session?.close().catch(() => undefined);
      await scratch.drop();
    };
    try {
      step(`Loading ${dump.entry} into the scratch database ${scratch.connection.database}...`);
      const loader = loaderFor(connection.driver);
      const acknowledged = await loader.load(scratch.connection, await archive.zip.openEntry(dump.entry));
      const checks = await checkLoadedRows(loader, scratch.connection, dump.facts.tables, acknowledged);
      if (checks.some((c) => !c.ok)) {
        throw new TenantRestoreFailedError(
          `The backup's dump loaded with other rows than its manifest lists, in ${describeMismatches(checks)}; nothing was changed`,
          'Check the archive with backup:verify --test-restore.',
        );
      }
      session = await openSession(scratch.connection);
      await session.begin('read');
      const [row] = await session.query(
        `SELECT COUNT(*) AS n FROM ${session.quote(scope.key.table)} WHERE ${session.quote(scope.key.column)} = ${session.placeholder(1)}`,
        [id],
      );
      if (Number(row.n) === 0)
        throw new UnknownTenantError(
          `The backup holds no tenant ${id} (${scope.key.table}.${scope.key.column})`,
          'Check the id and the backup; nothing was changed.',
        );
      const tables = await tablesFromDatabase(session, scope, id);
      const missing = tables.find((t) => 'missing' in t);
      if (missing)
        throw new TenantSchemaChangedError(
          `The backup has no table "${missing.table}"`,
          'The schema changed since the backup; nothing was changed.',
        );
      const matches = tenantFileMatcher(this.scopes.tenantOptions.files ?? [], id);
      const files = (await planFiles(archive.zip, manifestFiles(archive.manifest), this.options.appRoot)).filter((f) =>
        matches(f.relativePath),
      );
      return { describe: 'the backup', tables: tables as SavedTable[], files, close };
    } catch (err) {
      await close();
      throw err;
    }
  }
}

/** Refuses saved rows that would not fit the live tables (a column gone, a required one new). */
function checkSchema(scope: TenantScope, saved: SavedTenant, live: Map<string, LiveColumn[]>, source: string): void {
  const problems: string[] = [];
  const savedNames = new Set(saved.tables.map((t) => t.table));
  for (const { table } of scope.tables)
    if (!savedNames.has(table)) problems.push(`table "${table}" is tenant-scoped now but not in ${source}`);
  for (const t of saved.tables) {
    const columns = live.get(t.table);
    if (!columns) {
      problems.push(`table "${t.table}" is in ${source} but no longer tenant-scoped`);
      continue;
    }
    const names = new Set(columns.map((c) => c.name));
    for (const c of t.columns) if (!names.has(c)) problems.push(`column ${t.table}.${c} no longer exists`);
    for (const c of columns) {
      if (!t.columns.includes(c.name) && !c.nullable && !c.hasDefault && !c.generated)
        problems.push(`new column ${t.table}.${c.name} is required and has no saved value`);
    }
  }
  if (problems.length) {
    throw new TenantSchemaChangedError(
      `The schema changed since ${source} was made: ${problems.join('; ')}`,
      'Restore it beside the app with backup:restore --to-database and move the rows by hand; nothing was changed.',
    );
  }
}

/** The transaction: delete children first, insert parents first, check the other tenants, commit. */
async function replaceRows(
  session: SqlSession,
  scope: TenantScope,
  id: unknown,
  tables: SavedTable[],
  live: Map<string, LiveColumn[]>,
  plan: TenantTablePlan[],
): Promise<void> {
  const order = scope.tables.map((t) => t.table);
  const byTable = new Map(tables.map((t) => [t.table, t]));
  await session.begin('write');
  try {
    const others = new Map<string, number>();
    for (const table of order) others.set(table, (await countAllRows(session, table)) - (await countTenantRows(session, scope, table, id)));
    for (const table of [...order].reverse()) {
      await session.execute(`DELETE FROM ${session.quote(table)} WHERE ${tenantCondition(scope, table, session)}`, [id]);
    }
    for (const table of order) {
      const saved = byTable.get(table)!;
      await insertRows(session, saved, live.get(table)!);
    }
    for (const table of order) {
      const mine = await countTenantRows(session, scope, table, id);
      const expected = plan.find((p) => p.table === table)!.insert;
      if (mine !== expected)
        throw new TenantRestoreFailedError(
          `${table}: ${mine} row(s) of the tenant after the restore, ${expected} saved`,
          'Saved rows fall outside the tenant (a foreign key pointing at another tenant?).',
        );
      const otherNow = (await countAllRows(session, table)) - mine;
      if (otherNow !== others.get(table)) {
        throw new TenantRestoreFailedError(
          `${table}: other tenants' rows would change (${others.get(table)} → ${otherNow})`,
          'A foreign-key cascade reaches other tenants; fix the data before restoring one tenant.',
        );
      }
    }
    await session.commit();
  } catch (err) {
    await session.rollback().catch(() => undefined);
    throw err;
  }
}

async function insertRows(session: SqlSession, saved: SavedTable, live: LiveColumn[]): Promise<void> {
  const columns = saved.columns;
  const info = new Map(live.map((c) => [c.name, c]));
  const perStatement = Math.max(1, Math.min(500, Math.floor(30_000 / Math.max(1, columns.length))));
  const head = `INSERT INTO ${session.quote(saved.table)} (${columns.map((c) => session.quote(c)).join(', ')})${session.driver === 'postgres' ? ' OVERRIDING SYSTEM VALUE' : ''} VALUES `;
  let batch: unknown[][] = [];
  const flush = async () => {
    if (!batch.length) return;
    let n = 0;
    const tuples = batch.map((row) => `(${row.map(() => session.placeholder(++n)).join(', ')})`);
    await session.execute(head + tuples.join(', '), batch.flat());
    batch = [];
  };
  for await (const row of saved.read()) {
    batch.push(columns.map((c) => decodeValue(row[c], session.driver, info.get(c))));
    if (batch.length >= perStatement) await flush();
  }
  await flush();
}
