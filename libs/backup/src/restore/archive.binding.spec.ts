import { Manifest } from '../archive';
import { ConnectionInfo } from '../sources/connection-info';
import { ArchiveBindingError, checkBinding } from './archive.binding';
import { ArchivedDump } from './dump.matcher';

const manifest = (appName: string): Manifest => ({
  formatVersion: 1,
  library: 'nest-backup',
  libraryVersion: '0',
  appName,
  host: 'h',
  createdAt: '2026-01-01T00:00:00Z',
  encryption: 'aes256',
  entries: [],
});
const dump = (driver: ArchivedDump['facts']['driver'], database: string): ArchivedDump => ({
  entry: `db-dumps/${driver}-${database}.sql`,
  facts: { driver, database, tool: 't', tables: {} },
});
const mariadb: ConnectionInfo = { name: 'default', driver: 'mariadb', database: 'shop' };
const postgres: ConnectionInfo = { name: 'default', driver: 'postgres', database: 'shop' };

describe('checkBinding: an archive restores only into the app and engines it was made for', () => {
  it("passes this app's archive with a dump of a configured engine (MySQL and MariaDB are one engine)", () => {
    expect(checkBinding(manifest('shop'), [dump('mysql', 'shop')], { appName: 'shop', connections: [mariadb] })).toEqual([]);
  });

  it("refuses another app's archive unless allowOtherApp, then warns", () => {
    expect(() => checkBinding(manifest('blog'), [], { appName: 'shop', connections: [postgres] })).toThrow(
      /made by the app "blog", not by this app "shop" \(BACKUP_NAME\); nothing was changed[\s\S]*--allow-other-app/,
    );
    expect(() => checkBinding(manifest('blog'), [], { appName: 'shop' })).toThrow(ArchiveBindingError);
    expect(checkBinding(manifest('blog'), [], { appName: 'shop', allowOtherApp: true })).toEqual([
      expect.stringMatching(/^WARNING: --allow-other-app/),
    ]);
  });

  it('refuses a PostgreSQL dump for a MariaDB app unless allowOtherEngine, then warns that it is skipped', () => {
    expect(() => checkBinding(manifest('shop'), [dump('postgres', 'shop')], { appName: 'shop', connections: [mariadb] })).toThrow(
      /dump of PostgreSQL "shop", but this app restores into MySQL\/MariaDB "default": another database engine; nothing was changed[\s\S]*--allow-other-engine/,
    );
    const warnings = checkBinding(manifest('shop'), [dump('postgres', 'shop')], {
      appName: 'shop',
      connections: [mariadb],
      allowOtherEngine: true,
    });
    expect(warnings).toEqual([expect.stringMatching(/^WARNING: --allow-other-engine: .*that dump is skipped/)]);
  });

  it('does not look at engines when no database is restored (--only-files)', () => {
    expect(checkBinding(manifest('shop'), [dump('postgres', 'shop')], { appName: 'shop' })).toEqual([]);
  });
});
