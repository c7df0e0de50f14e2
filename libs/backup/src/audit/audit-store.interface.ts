import { AuditRecord } from './audit.types';

/**
 * Where audit records go. Append-only on purpose: the interface has no update or delete, so no
 * code path of the library can change or remove a record once written.
 */
export interface AuditStore {
  /** "database default (postgres)", "file /var/.../app.jsonl": for messages and the report. */
  readonly description: string;
  append(record: AuditRecord): Promise<void>;
  /** Records whose startedAt is at or after `since`, oldest first. */
  read(since?: Date): Promise<AuditRecord[]>;
}
