import { DatabaseDriver } from './connection-info';
import { DatabaseDumper } from './database-dumper.interface';
import { DatabaseLoader } from './database-loader.interface';
import { MysqlDumper } from './mysql.dumper';
import { MysqlLoader } from './mysql.loader';
import { PostgresDumper } from './postgres.dumper';
import { PostgresLoader } from './postgres.loader';
import { BackupError } from '../common/backup.error';
import { SqliteDumper } from './sqlite.dumper';
import { SqliteLoader } from './sqlite.loader';

const dumpers: DatabaseDumper[] = [new PostgresDumper(), new MysqlDumper(), new SqliteDumper()];
const loaders: DatabaseLoader[] = [new PostgresLoader(), new MysqlLoader(), new SqliteLoader()];

/** The shipped dumper for a driver; `extra` ones (a host's own) are asked first. */
export function dumperFor(driver: DatabaseDriver, extra: DatabaseDumper[] = []): DatabaseDumper {
  const found = [...extra, ...dumpers].find((d) => d.supports(driver));
  if (!found) throw new BackupError(`No database dumper supports the driver "${driver}".`, 'Use postgres, mysql, mariadb or sqlite.');
  return found;
}

/** The shipped loader (restore side) for a driver; `extra` ones are asked first. */
export function loaderFor(driver: DatabaseDriver, extra: DatabaseLoader[] = []): DatabaseLoader {
  const found = [...extra, ...loaders].find((l) => l.supports(driver));
  if (!found) throw new BackupError(`No database loader supports the driver "${driver}".`, 'Use postgres, mysql, mariadb or sqlite.');
  return found;
}
