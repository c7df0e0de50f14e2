import { ParallelLoad } from './parallel.load';
import { codeOf } from './pg-parallel.load';

/** A table's INSERT statements go to a session in jobs of about this size. */
const JOB_BYTES = 2 * 1024 * 1024;

const INSERT = /^INSERT INTO (`(?:[^`]|``)+`) (\(|VALUES)/;
const SETTING = /^(\/\*!\d+ )?SET /i;
const SANDBOX_LINE = /^\/\*M!\d+\\- [^*]*\*\/\s*/;
const LOCKING = /^(LOCK TABLES |UNLOCK TABLES)/i;
const CREATE_TABLE = /^CREATE TABLE (`(?:[^`]|``)+`) \(/;
/** A plain secondary index line of mariadb-dump's CREATE TABLE (not UNIQUE, FULLTEXT or SPATIAL). */
const PLAIN_KEY_LINE = /^ {2}KEY `(?:[^`]|``)+` \(`((?:[^`]|``)+)`.*\)(?: USING (?:BTREE|HASH))?(?: COMMENT '.*')?,?$/;
const AUTO_INCREMENT_COLUMN = /^ {2}`((?:[^`]|``)+)` .* AUTO_INCREMENT\b/;

/**
 * mariadb-dump's CREATE TABLE of an InnoDB table with its plain secondary indexes taken out, and
 * those indexes as one `ALTER TABLE ... ADD KEY ...` to run once the rows are in: InnoDB then
 * builds each index by sorting, instead of inserting 3.5 M entries one by one in random order
 * (a load of 3.5 M rows with one such index took 27.6 s instead of 30.2 s on one connection, and
 * is what lets two connections gain, 19.5 s). Left as it is: a table with a FOREIGN KEY (InnoDB
 * would make an index of its own for it), a partitioned one, one whose AUTO_INCREMENT column
 * leads a plain key (the column must stay indexed), anything not laid out as mariadb-dump does.
 */
export function deferPlainKeys(text: string): { create: string; addKeys: string } | undefined {
  const code = codeOf(text, true) ?? '';
  const table = CREATE_TABLE.exec(code)?.[1];
  if (!table || !/\) ENGINE=InnoDB\b/.test(code) || /FOREIGN KEY|PARTITION BY/i.test(code)) return undefined;
  const lines = text.split('\n');
  const open = lines.findIndex((l) => CREATE_TABLE.test(l));
  const close = lines.findIndex((l, i) => i > open && /^\) ENGINE=/.test(l));
  if (open < 0 || close < 0) return undefined;
  const definitions = lines.slice(open + 1, close);
  const autoIncrement = new Set(definitions.map((l) => AUTO_INCREMENT_COLUMN.exec(l)?.[1]).filter(Boolean));
  const kept: string[] = [];
  const deferred: string[] = [];
  for (const line of definitions) {
    const key = PLAIN_KEY_LINE.exec(line);
    if (key && !autoIncrement.has(key[1])) deferred.push(line.trim().replace(/,$/, ''));
    else kept.push(line.replace(/,$/, ''));
  }
  if (!deferred.length || !kept.length) return undefined;
  const create = [...lines.slice(0, open + 1), kept.join(',\n'), ...lines.slice(close)].join('\n');
  return { create, addKeys: `ALTER TABLE ${table} ${deferred.map((d) => `ADD ${d}`).join(', ')};\n` };
}

/**
 * Loads a mariadb-dump over several mariadb client sessions at once. The dump's header settings
 * (character set, time zone, SQL mode, checks off) are given to every session before its first
 * work; every other statement runs on the first session in the dump's order, after all the rows
 * sent before it are in; each table's INSERT statements go in jobs of about 2 MiB to the least
 * busy session; a table's plain secondary indexes are built after its rows (deferPlainKeys).
 * LOCK TABLES / UNLOCK TABLES are left out: a lock held by one session would stop the others,
 * and a new database has no other writer to keep out.
 *
 * It reads the output of a DumpGuard (only SQL arrives) and its marks, which say where a
 * statement ends. Nothing is held but one job's statements. The sessions commit as they go: the
 * caller loads into a staging or new database that is dropped if the load fails.
 */
export class ParallelMysqlLoad extends ParallelLoad {
  private sql: Buffer[] = [];
  private header = true;
  private delimiter = ';';
  /** The INSERT statements of one table waiting to go out as a job. */
  private job: { table: string; parts: Buffer[]; bytes: number } | undefined;
  /** The table whose rows are loading, and its indexes to build afterwards. */
  private deferred: { table: string; addKeys: string } | undefined;

  protected take(bytes: Buffer): void {
    this.sql.push(bytes);
  }

  /** mariadb-dump's marks are all statement ends (it has no COPY). */
  protected atMark(): Promise<void> {
    return this.atStatementEnd();
  }

  private async atStatementEnd(): Promise<void> {
    const bytes = this.sql.length === 1 ? this.sql[0] : Buffer.concat(this.sql);
    // An INSERT is judged by its start: its text (megabytes) need not become a string.
    // mariadb-dump's first line (`/*M!999999\- enable the sandbox mode */`) has no `;` of its own:
    // it comes with the first setting, which must still count as one.
    const code = codeOf(bytes.subarray(0, 4000).toString('utf8'))?.replace(SANDBOX_LINE, '');
    if (code === undefined) return; // only comments so far: they go with the next statement
    this.sql = [];
    const insert = this.delimiter === ';' ? INSERT.exec(code) : null;
    if (insert) return this.insert(insert[1], bytes);
    await this.sendJob();
    if (LOCKING.test(code)) return;
    const text = bytes.toString('utf8');
    const delimiter = /^DELIMITER (\S+)$/i.exec(code);
    if (delimiter) this.delimiter = delimiter[1];
    if (SETTING.test(code)) {
      // Only the header's settings go to every session: later ones restore values saved in
      // user variables of the first session (`SET sql_mode = @saved_sql_mode`), unset elsewhere.
      return this.header && this.delimiter === ';' ? this.setting(text) : this.writeFirst(text);
    }
    this.header = false;
    if (this.deferred && !(code.includes(this.deferred.table) && /DISABLE KEYS/.test(code))) await this.buildDeferred();
    const deferral = CREATE_TABLE.test(code) ? deferPlainKeys(text) : undefined;
    await this.settleRunning();
    if (deferral) {
      this.deferred = { table: CREATE_TABLE.exec(code)![1], addKeys: deferral.addKeys };
      return this.writeFirst(deferral.create);
    }
    return this.writeFirst(text);
  }

  private async insert(table: string, statement: Buffer): Promise<void> {
    if (this.job && this.job.table !== table) await this.sendJob();
    this.job ??= { table, parts: [], bytes: 0 };
    this.job.parts.push(statement);
    this.job.bytes += statement.length;
    if (this.job.bytes >= JOB_BYTES) await this.sendJob();
  }

  /** The rows of the table loading are all in: its deferred indexes, in order on the first session. */
  private async buildDeferred(): Promise<void> {
    const { addKeys } = this.deferred!;
    this.deferred = undefined;
    await this.settleRunning();
    await this.writeFirst(addKeys);
  }

  private async sendJob(): Promise<void> {
    const job = this.job;
    if (!job) return;
    this.job = undefined;
    // A table's rows wait for its CREATE TABLE on the first session.
    if (this.firstBusy) await this.settleFirst(this.delimiter);
    await this.dispatch(job.parts, job.bytes);
  }

  protected async finish(): Promise<void> {
    const rest = Buffer.concat(this.sql);
    this.sql = [];
    if (codeOf(rest.subarray(0, 4000).toString('utf8')) !== undefined) {
      this.sql = [rest];
      await this.atStatementEnd();
    }
    await this.sendJob();
    if (this.deferred) await this.buildDeferred();
    await this.settleRunning();
    await this.settleFirst(this.delimiter);
  }
}
