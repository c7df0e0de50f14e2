import { ConnectionInfo } from '../../sources/connection-info';
import { MysqlSession } from './mysql.session';
import { PostgresSession } from './postgres.session';
import { SqliteSession } from './sqlite.session';
import { SqlSession } from './sql.session';

/** Opens a session on `connection` with the driver's own client library. */
export function openSession(connection: ConnectionInfo): Promise<SqlSession> {
  switch (connection.driver) {
    case 'postgres':
      return PostgresSession.open(connection);
    case 'mysql':
    case 'mariadb':
      return MysqlSession.open(connection);
    case 'sqlite':
      return SqliteSession.open(connection);
  }
}
