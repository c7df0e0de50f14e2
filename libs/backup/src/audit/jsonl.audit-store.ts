import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { AuditStore } from './audit-store.interface';
import { AuditRecord } from './audit.types';

/**
 * Audit records as JSON Lines: one line per record, appended with O_APPEND in a single write
 * (so concurrent processes never interleave), fsynced, file mode 0600 in a 0700 folder. Used
 * when no database is configured or reachable. A torn last line (a crash mid-write) is skipped
 * on reading; every other record is kept.
 */
export class JsonlAuditStore implements AuditStore {
  readonly description: string;

  constructor(readonly file: string) {
    this.description = `file ${file}`;
  }

  async append(record: AuditRecord): Promise<void> {
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const handle = await fs.promises.open(this.file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND, 0o600);
    try {
      await handle.chmod(0o600).catch(() => undefined);
      await handle.write(JSON.stringify(record) + '\n');
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  async read(since?: Date): Promise<AuditRecord[]> {
    if (!fs.existsSync(this.file)) return [];
    const from = since?.toISOString();
    const out: AuditRecord[] = [];
    const lines = readline.createInterface({ input: fs.createReadStream(this.file, 'utf8'), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line.trim()) continue;
      let record: AuditRecord;
      try {
        record = JSON.parse(line) as AuditRecord;
      } catch {
        continue; // a torn line from a crash mid-write
      }
      if (!from || record.startedAt >= from) out.push(record);
    }
    return out.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  }
}
