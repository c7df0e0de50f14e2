import { ZipEntryInfo } from '../archive';
import { RestoreRequestError } from '../restore/restore.errors';
import { chooseFilesPrefix, commonRoot, normalPrefix } from './files.prefix';
import { isSpatieLayout, parseDumpName, readSpatieLayout } from './spatie.layout';

const entry = (name: string, size = 10): ZipEntryInfo => ({
  name,
  size,
  compressedSize: name.endsWith('/') ? 0 : size + 28,
  encrypted: !name.endsWith('/'),
  winZipAes: !name.endsWith('/'),
  method: 8,
  mtime: new Date(0),
  ...(name.endsWith('/') ? { folder: true, size: 0 } : {}),
});

describe('spatie/laravel-backup layout', () => {
  it('is any archive without manifest.json', () => {
    expect(isSpatieLayout([entry('db-dumps/mysql-shop.sql')])).toBe(true);
    expect(isSpatieLayout([entry('db-dumps/mysql-shop.sql'), entry('manifest.json')])).toBe(false);
  });

  it.each([
    ['db-dumps/mysql-shop.sql', { driver: 'mysql', database: 'shop' }],
    ['db-dumps/mariadb-shop.sql', { driver: 'mariadb', database: 'shop' }],
    ['db-dumps/postgresql-clinic-prod.sql.gz', { driver: 'postgres', database: 'clinic-prod', compression: 'gzip' }],
    ['db-dumps/pgsql-clinic.sql', { driver: 'postgres', database: 'clinic' }],
    ['db-dumps/sqlite-database.sql', { driver: 'sqlite', database: 'database' }],
  ])('reads the engine and database from %s', (name, facts) => {
    expect(parseDumpName(name)).toEqual({ entry: name, ...facts });
  });

  it.each([
    ['db-dumps/mongodb-shop.archive', /MongoDB/],
    ['db-dumps/oracle-shop.sql', /"oracle" is not an engine restored here/],
    ['db-dumps/notes.txt', /not named <engine>-<database>\.sql/],
  ])('names why %s is not loaded', (name, reason) => {
    expect(parseDumpName(name)).toEqual({ reason: expect.stringMatching(reason) });
  });

  it('sorts entries into dumps and files; folder entries are neither', () => {
    const layout = readSpatieLayout([
      entry('db-dumps/'),
      entry('db-dumps/pgsql-shop.sql.gz', 50),
      entry('db-dumps/mongodb-x.archive'),
      entry('var/'),
      entry('var/www/app/storage/app/a.txt', 3),
      entry('var/www/app/db-dumps/mysql-x.sql', 4),
    ]);
    expect(layout.dumps).toEqual([
      { entry: 'db-dumps/pgsql-shop.sql.gz', driver: 'postgres', database: 'shop', compression: 'gzip', size: 50 },
    ]);
    expect(layout.skippedDumps.map((s) => s.entry)).toEqual(['db-dumps/mongodb-x.archive']);
    expect(layout.files).toEqual([
      { entry: 'var/www/app/storage/app/a.txt', size: 3 },
      { entry: 'var/www/app/db-dumps/mysql-x.sql', size: 4 },
    ]);
  });
});

describe('the prefix cut off spatie file entries', () => {
  const files = ['var/www/app/storage/app/a.txt', 'var/www/app/storage/app/sub/b.bin', 'var/www/app/public/logo.png'];

  it('normalises what the operator typed', () => {
    expect(normalPrefix('/var/www/app')).toBe('var/www/app/');
    expect(normalPrefix('var/www/app/')).toBe('var/www/app/');
    expect(normalPrefix('/')).toBe('');
  });

  it('finds the common root folder', () => {
    expect(commonRoot(files)).toBe('var/www/app/');
    expect(commonRoot(['storage/a', 'public/b'])).toBe('');
    expect(commonRoot(['a.txt'])).toBe('');
  });

  it('takes --strip-prefix first and refuses files outside it or a ".." in it', () => {
    expect(chooseFilesPrefix(files, { appRoot: '/srv/app', inPlace: true, stripPrefix: '/var/www/app' })).toEqual({
      prefix: 'var/www/app/',
      how: 'flag',
    });
    expect(() => chooseFilesPrefix(files, { appRoot: '/srv/app', inPlace: true, stripPrefix: 'var/www/app/storage' })).toThrow(
      /1 file\(s\) of the archive are not below it .*public\/logo\.png/,
    );
    expect(() => chooseFilesPrefix(files, { appRoot: '/srv/app', inPlace: true, stripPrefix: 'var/../etc' })).toThrow(RestoreRequestError);
  });

  it('takes the app root when every file lies below it (an app at the same path)', () => {
    expect(chooseFilesPrefix(files, { appRoot: '/var/www/app', inPlace: true })).toEqual({ prefix: 'var/www/app/', how: 'app-root' });
  });

  it('takes the common root for --files-to, but asks for --strip-prefix in place rather than guess', () => {
    expect(chooseFilesPrefix(files, { appRoot: '/srv/app', inPlace: false })).toEqual({ prefix: 'var/www/app/', how: 'common-root' });
    expect(() => chooseFilesPrefix(files, { appRoot: '/srv/app', inPlace: true })).toThrow(
      /under "var\/www\/app\/", not under this app's root \/srv\/app[\s\S]*--strip-prefix/,
    );
    // Entries relative to the app (spatie's relative_path) share no root: in place as they are.
    expect(chooseFilesPrefix(['storage/app/a', 'public/b'], { appRoot: '/srv/app', inPlace: true })).toEqual({
      prefix: '',
      how: 'common-root',
    });
  });
});
