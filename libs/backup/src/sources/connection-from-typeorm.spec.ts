import { connectionFromTypeOrm, connectionFromUrl } from './connection-from-typeorm';
import { InvalidConnectionError } from './source.errors';

describe('connectionFromTypeOrm', () => {
  it('reads host options, with default ports', () => {
    expect(connectionFromTypeOrm({ type: 'postgres', host: 'db', username: 'app', password: 'pw', database: 'main' })).toEqual({
      name: 'default',
      driver: 'postgres',
      host: 'db',
      port: 5432,
      username: 'app',
      password: 'pw',
      database: 'main',
    });
    expect(connectionFromTypeOrm({ type: 'mariadb', host: 'db', port: '3307', database: 'm' }, 'reports')).toMatchObject({
      name: 'reports',
      driver: 'mariadb',
      port: 3307,
    });
  });

  it('parses url and lets explicit options override it, as TypeORM does', () => {
    const c = connectionFromTypeOrm({ type: 'mysql', url: 'mysql://u:p%40ss@h:3310/shop', database: 'other' });
    expect(c).toEqual({ name: 'default', driver: 'mysql', host: 'h', port: 3310, username: 'u', password: 'p@ss', database: 'other' });
  });

  it('maps sqlite and better-sqlite3 to a file', () => {
    expect(connectionFromTypeOrm({ type: 'better-sqlite3', database: 'data/app.db' })).toEqual({
      name: 'default',
      driver: 'sqlite',
      database: 'data/app.db',
    });
  });

  it('refuses unknown types and missing databases with a clear error', () => {
    expect(() => connectionFromTypeOrm({ type: 'mongodb', database: 'x' })).toThrow(InvalidConnectionError);
    expect(() => connectionFromTypeOrm({ type: 'mongodb', database: 'x' })).toThrow(/type "mongodb".*Supported types: postgres/s);
    expect(() => connectionFromTypeOrm({ type: 'postgres' })).toThrow(/names no database/);
  });
});

describe('connectionFromUrl', () => {
  it('understands sqlite:, postgres://, mysql:// and mariadb://', () => {
    expect(connectionFromUrl('sqlite:storage/app.db')).toEqual({ name: 'default', driver: 'sqlite', database: 'storage/app.db' });
    expect(connectionFromUrl('sqlite:///var/data/app.db').database).toBe('/var/data/app.db');
    expect(connectionFromUrl('postgresql://app@127.0.0.1/main', 'x')).toEqual({
      name: 'x',
      driver: 'postgres',
      host: '127.0.0.1',
      port: 5432,
      username: 'app',
      database: 'main',
    });
    expect(connectionFromUrl('mariadb://root:s%3Acret@localhost:3306/m')).toMatchObject({ driver: 'mariadb', password: 's:cret' });
  });

  it('rejects bad URLs without echoing them (they may hold a password)', () => {
    expect(() => connectionFromUrl('redis://u:hunter22@h/0')).toThrow(/scheme "redis:" is not supported/);
    expect(() => connectionFromUrl('postgres://u:hunter22@h:5432/')).toThrow(/names no database/);
    try {
      connectionFromUrl('::not a url hunter22');
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter22');
    }
    expect(() => connectionFromUrl('::not a url hunter22')).toThrow(InvalidConnectionError);
  });
});
