import { Redactor } from '../common/redact';
import { ConnectionInfo, DatabaseDriver } from './connection-info';
import { DatabaseDumper, DumpHandle } from './database-dumper.interface';
import { runToolDump } from './db-tool';
import { MysqlInsertCounter } from './mysql-insert.counter';
import { mysqlDefaultsFile, mysqlTool, mysqlWhere } from './mysql.options';
import { ToolDumperOptions } from './postgres.dumper';
import { SecretFile } from './secret-file';
import { toolEnv } from './tool.env';

/**
 * Dumps one MySQL or MariaDB database with mariadb-dump (or mysqldump when that is all there
 * is): `--single-transaction` gives one consistent InnoDB snapshot while the app keeps writing,
 * `--routines --triggers` keep the schema whole. Only the database's tables are dumped (no
 * CREATE DATABASE / USE), so `mariadb <other-db> < dump.sql` loads it anywhere. Row counts are
 * read off the dump's INSERTs (see MysqlInsertCounter): exactly that snapshot's rows.
 *
 * @example
 * const { stream, facts } = new MysqlDumper().dump({ name: 'default', driver: 'mariadb', database: 'app', host: '127.0.0.1' });
 */
export class MysqlDumper implements DatabaseDumper {
  constructor(private readonly options: ToolDumperOptions = {}) {}

  supports(driver: DatabaseDriver): boolean {
    return driver === 'mysql' || driver === 'mariadb';
  }

  dump(connection: ConnectionInfo): DumpHandle {
    const { bin, tool } = mysqlTool('dump', this.options.bin);
    let defaults: SecretFile | undefined;
    const args: string[] = [];
    const prepare = mysqlDefaultsFile(connection, this.options.tmpDir).then((file) => {
      defaults = file;
      // --defaults-file must come first: only the library's own options file is read (no
      // ~/.my.cnf, no /etc/mysql); the database name is not a secret.
      args.push(
        `--defaults-file=${file.path}`,
        '--single-transaction',
        '--routines',
        '--triggers',
        '--hex-blob',
        '--no-tablespaces',
        // No LOCK TABLES around each table's INSERTs: a column DEFAULT NEXTVAL(seq) then fails to
        // load ("Table 'seq' was not locked with LOCK TABLES", MariaDB 10.3+), and InnoDB gains
        // nothing from the lock.
        '--skip-add-locks',
        '--skip-dump-date',
        '--default-character-set=utf8mb4',
        connection.database,
      );
    });
    return runToolDump(
      {
        tool,
        bin,
        args,
        env: toolEnv(),
        describe: `${connection.driver === 'mysql' ? 'MySQL' : 'MariaDB'} database "${connection.database}" on ${mysqlWhere(connection)}`,
        where: mysqlWhere(connection),
        redactor: new Redactor([connection.password]),
        counter: new MysqlInsertCounter(),
        facts: { driver: connection.driver, database: connection.database },
        cleanup: async () => defaults?.remove(),
      },
      prepare,
    );
  }
}
