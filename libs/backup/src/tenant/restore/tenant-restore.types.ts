/** `backup:tenant-restore` input. Exactly one of fromExport / fromBackup. */
export interface TenantRestoreRequest {
  tenantId: string;
  /** A tenant export: file name in `<BACKUP_NAME>/tenants/<id>/`, a full key, or "latest". */
  fromExport?: string;
  /** A full backup: its name, key or "latest". */
  fromBackup?: string;
  disk?: string;
  /** The export's own password when it was made with --password. */
  password?: string;
  dryRun?: boolean;
  force?: boolean;
  noSafetyExport?: boolean;
  /** Read an archive whose entries are not encrypted with the password (a warning is printed). */
  allowUnencrypted?: boolean;
  /** Restore from an archive whose manifest names another app than BACKUP_NAME. */
  allowOtherApp?: boolean;
  confirm?: (question: { tenantId: string; rows: number }) => Promise<boolean>;
  onStep?: (message: string) => void;
}

export interface TenantTablePlan {
  table: string;
  /** The tenant's rows now, deleted by the restore. */
  delete: number;
  /** Saved rows inserted by the restore. */
  insert: number;
}

export interface TenantRestoreReport {
  tenantId: string;
  dryRun: boolean;
  source: { kind: 'export' | 'backup'; disk: string; key: string };
  tables: TenantTablePlan[];
  files: { write: number; delete: number };
  safetyExport?: string;
  durationMs: number;
}
