/**
 * Dumpers and loaders against the real PostgreSQL and MariaDB on 127.0.0.1 and real SQLite
 * files: the dump loads with psql / mariadb / sqlite3 into an empty database and gives the same
 * rows; it stays consistent under concurrent writes; failures are clear and leak no password.
 */
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { Client } from 'pg';
import { ConnectionInfo } from '../../libs/backup/src/sources/connection-info';
import { DumpFacts, DumpHandle } from '../../libs/backup/src/sources/database-dumper.interface';
import { dumperFor, loaderFor } from '../../libs/backup/src/sources/dumper.registry';
import { MysqlDumper } from '../../libs/backup/src/sources/mysql.dumper';
import { PostgresDumper } from '../../libs/backup/src/sources/postgres.dumper';
import { DumpFailedError, LoadFailedError, ToolMissingError } from '../../libs/backup/src/sources/source.errors';
import {
  createPasswordUser,
  createTestDatabase,
  DbKind,
  DB_KINDS,
  rowCounts,
  runSql,
  seedDemo,
  tableContents,
  TestDatabase,
} from '../support/databases';

const run = promisify(execFile);
let work: string;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'nbt-dump-'));
});
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function database(kind: DbKind, label: string): Promise<TestDatabase> {
  const db = await createTestDatabase(kind, label);
  cleanups.push(db.drop);
  return db;
}

async function dumpToFile(handle: DumpHandle, file: string): Promise<DumpFacts> {
  await pipeline(handle.stream, createWriteStream(file));
  return handle.facts;
}

/** Loads a dump with the engine's own command-line client, as an operator would. */
async function loadWithCli(c: ConnectionInfo, file: string): Promise<void> {
  const cmd =
    c.driver === 'postgres'
      ? `psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d ${c.database} -f ${file}`
      : c.driver === 'sqlite'
        ? `sqlite3 -bail ${c.database} < ${file}`
        : `mariadb -h 127.0.0.1 -u root ${c.database} < ${file}`;
  await run('sh', ['-c', cmd]);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** An empty target: SQLite files are created by the loader, servers need the database. */
async function emptyTarget(kind: DbKind): Promise<TestDatabase> {
  return database(kind, 'target');
}

describe.each(DB_KINDS)('%s dump', (kind) => {
  it('loads with the command-line client into an empty database with every row intact', async () => {
    const src = await database(kind, 'src');
    await seedDemo(src.connection, { tenants: 5, rowsPerTenant: 20 });
    const file = join(work, `${kind}-roundtrip.sql`);
    const facts = await dumpToFile(dumperFor(src.connection.driver).dump(src.connection), file);

    const target = await emptyTarget(kind);
    await loadWithCli(target.connection, file);

    const expected = await tableContents(src.connection);
    expect(Object.keys(expected).sort()).toEqual(['clinics', 'queues', 'sub_queues', 'tenants', 'users']);
    expect(await tableContents(target.connection)).toEqual(expected);
    expect(facts).toMatchObject({ driver: src.connection.driver, database: src.connection.database });
    expect(facts.tables).toEqual({ tenants: 5, users: 100, clinics: 100, queues: 100, sub_queues: 200 });
    expect(facts.tool).toMatch(
      kind === 'postgres'
        ? /^pg_dump \(PostgreSQL\) \d+/
        : kind === 'mariadb'
          ? /(mariadb-dump|mysqldump).*Ver/
          : /^better-sqlite3 \d+.*\(SQLite 3\./,
    );
  });

  it('restores through its loader: create, load, count, drop', async () => {
    const src = await database(kind, 'src');
    await seedDemo(src.connection, { tenants: 3, rowsPerTenant: 7 });
    const file = join(work, `${kind}-loader.sql`);
    const facts = await dumpToFile(dumperFor(src.connection.driver).dump(src.connection), file);

    const loader = loaderFor(src.connection.driver);
    const target = await emptyTarget(kind);
    const name = target.connection.database;
    if (kind !== 'sqlite') {
      await target.drop();
      expect(await loader.databaseExists(target.connection, name)).toBe(false);
      await loader.createDatabase(target.connection, name);
    }
    await loader.load(target.connection, createReadStream(file));
    expect(await loader.databaseExists(target.connection, name)).toBe(true);
    expect(await tableContents(target.connection)).toEqual(await tableContents(src.connection));
    expect(await loader.countRows(target.connection)).toEqual(facts.tables);

    await loader.dropDatabase(target.connection, name);
    expect(await loader.databaseExists(target.connection, name)).toBe(false);
  });

  it('loads all or nothing: a dump that breaks half-way leaves the target as it was', async () => {
    const src = await database(kind, 'src');
    await seedDemo(src.connection, { tenants: 2, rowsPerTenant: 3 });
    const target = await emptyTarget(kind);
    await runSql(target.connection, 'CREATE TABLE keep_me (id INTEGER PRIMARY KEY)');
    await runSql(target.connection, 'INSERT INTO keep_me (id) VALUES (42)');
    const before = await tableContents(target.connection);

    const file = join(work, `${kind}-broken.sql`);
    await dumpToFile(dumperFor(src.connection.driver).dump(src.connection), file);
    const broken = join(work, `${kind}-broken2.sql`);
    const text = readFileSync(file, 'utf8');
    const cut = text.indexOf('INSERT INTO') >= 0 ? text.lastIndexOf('INSERT INTO') : text.lastIndexOf('COPY ');
    writeFileSync(broken, text.slice(0, cut) + 'THIS IS NOT SQL;\n' + text.slice(cut));

    const loader = loaderFor(src.connection.driver);
    const err = await loader.load(target.connection, createReadStream(broken)).catch((e) => e);
    expect(err).toBeInstanceOf(LoadFailedError);
    expect(err.message).toMatch(/syntax error|error in your SQL syntax/i);
    if (kind === 'mariadb') {
      // The mysql client commits statement by statement: what matters is that it says so loudly.
      return;
    }
    expect(await tableContents(target.connection)).toEqual(before);
  });

  it('stays consistent while another connection keeps inserting', async () => {
    const src = await database(kind, 'busy');
    await seedDemo(src.connection, { tenants: 5, rowsPerTenant: 600 });
    const writer = await startWriter(src.connection);
    cleanups.push(writer.stop);
    await writer.waitForWrites(5);

    const before = writer.count();
    const handle = dumperFor(src.connection.driver).dump(src.connection);
    const file = join(work, `${kind}-busy.sql`);
    const out = createWriteStream(file);
    let first = true;
    // Read slowly so the writer gets plenty of commits in while the dump is running.
    for await (const chunk of handle.stream) {
      if (first) await new Promise((r) => setTimeout(r, 300));
      first = false;
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    await new Promise<void>((r) => out.end(() => r()));
    const facts = await handle.facts;
    await writer.stop();
    expect(writer.count() - before).toBeGreaterThan(3);

    const target = await emptyTarget(kind);
    await loadWithCli(target.connection, file);
    const loaded = await rowCounts(target.connection);
    expect(loaded).toEqual(facts.tables);
    // Each writer transaction adds one tenant and one user: a consistent dump has them in pairs.
    expect(loaded.tenants - 5).toBe(loaded.users - 3000);
    expect(loaded.tenants).toBeGreaterThanOrEqual(5 + before);
    const orphans = await runSql(
      target.connection,
      'SELECT COUNT(*) AS n FROM users u LEFT JOIN tenants t ON t.id = u.tenant_id WHERE t.id IS NULL',
    );
    expect(Number(orphans[0].n)).toBe(0);
  });
});

/** Inserts a tenant and its user in one transaction, over and over, on its own connection. */
async function startWriter(c: ConnectionInfo) {
  let n = 0;
  let stopped = false;
  let exec: (tenant: number) => Promise<void>;
  let close: () => Promise<void>;
  if (c.driver === 'postgres') {
    const client = new Client({ host: c.host, port: c.port, user: c.username, database: c.database });
    await client.connect();
    exec = async (id) => {
      await client.query('BEGIN');
      await client.query(`INSERT INTO tenants (id, name, created_at) VALUES ($1, 'busy', now())`, [id]);
      await client.query(`INSERT INTO users (id, tenant_id, email) VALUES ($1, $1, 'busy@example')`, [id]);
      await client.query('COMMIT');
    };
    close = () => client.end();
  } else if (c.driver === 'sqlite') {
    const db = new Database(c.database, { timeout: 30000 });
    db.pragma('journal_mode = WAL');
    const tx = db.transaction((id: number) => {
      db.prepare(`INSERT INTO tenants (id, name, created_at) VALUES (?, 'busy', '2024-01-01 00:00:00')`).run(id);
      db.prepare(`INSERT INTO users (id, tenant_id, email) VALUES (?, ?, 'busy@example')`).run(id, id);
    });
    exec = async (id) => void tx(id);
    close = async () => void db.close();
  } else {
    const conn = await createConnection({ host: c.host, port: c.port, user: c.username, database: c.database });
    exec = async (id) => {
      await conn.beginTransaction();
      await conn.query(`INSERT INTO tenants (id, name, created_at) VALUES (?, 'busy', NOW())`, [id]);
      await conn.query(`INSERT INTO users (id, tenant_id, email) VALUES (?, ?, 'busy@example')`, [id, id]);
      await conn.commit();
    };
    close = () => conn.end();
  }
  const loop = (async () => {
    while (!stopped) {
      await exec(100000 + n);
      n++;
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    count: () => n,
    async waitForWrites(k: number) {
      while (n < k) await new Promise((r) => setTimeout(r, 10));
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await loop;
      await close();
    },
  };
}

describe('SQLite dump values', () => {
  it('keeps REALs exact, blobs, NULLs, big integers and NUL-containing text', async () => {
    const src = await database('sqlite', 'values');
    const values: unknown[][] = [
      [1, 0.1, Buffer.from([0, 1, 2, 255, 39, 10]), 'plain', 2n ** 62n],
      [2, 1e300, Buffer.alloc(0), "it's\nnew\\line", -(2n ** 63n)],
      [3, -2.5e-300, null, 'nul\0inside', 0n],
      [4, 3.0, Buffer.from('x'), null, null],
      [5, 1 / 3, null, '', 9007199254740993n],
    ];
    const db = new Database(src.connection.database);
    db.exec('CREATE TABLE v (id INTEGER PRIMARY KEY, r REAL, b BLOB, t TEXT, i INTEGER); CREATE INDEX v_t ON v (t);');
    db.exec(`CREATE TABLE log (id INTEGER PRIMARY KEY AUTOINCREMENT, msg TEXT);
      CREATE TRIGGER v_ins AFTER INSERT ON v BEGIN INSERT INTO log (msg) VALUES ('inserted; ' || NEW.id); END;
      CREATE VIEW v_ids AS SELECT id FROM v;`);
    const ins = db.prepare('INSERT INTO v VALUES (?, ?, ?, ?, ?)');
    for (const row of values) ins.run(...row);
    db.close();

    const file = join(work, 'sqlite-values.sql');
    const facts = await dumpToFile(dumperFor('sqlite').dump(src.connection), file);
    expect(facts.tables).toEqual({ v: 5, log: 5 });

    const restored = join(work, 'values-restored.db');
    await loadWithCli({ name: 'r', driver: 'sqlite', database: restored }, file);
    const read = (path: string) => {
      const d = new Database(path, { readonly: true });
      d.defaultSafeIntegers(true);
      const rows = d
        .prepare('SELECT id, r, typeof(r) AS tr, b, typeof(b) AS tb, t, typeof(t) AS tt, i, typeof(i) AS ti FROM v ORDER BY id')
        .all();
      const extra = d.prepare(`SELECT name, type FROM sqlite_master ORDER BY name`).all();
      const log = d.prepare('SELECT * FROM log ORDER BY id').all();
      const seq = d.prepare('SELECT * FROM sqlite_sequence').all();
      d.close();
      return { rows, extra, log, seq };
    };
    const a = read(src.connection.database);
    const b = read(restored);
    expect(b).toEqual(a);
    expect(a.rows.map((r: any) => r.tr)).toEqual(['real', 'real', 'real', 'real', 'real']);
    expect((b.rows[4] as any).r).toBe(1 / 3);
    expect((b.rows[2] as any).t).toBe('nul\0inside');
  });
});

describe.each(['postgres', 'mariadb'] as const)('%s dump failures and secrets', (kind) => {
  it('reports an unreachable server with the tool message, without the password', async () => {
    const src = await database(kind, 'down');
    const tmp = mkdtempSync(join(work, 'secret-'));
    const password = 'Unreachable-Secret-9f8e7d';
    const conn = { ...src.connection, port: await freePort(), password };
    const dumper = kind === 'postgres' ? new PostgresDumper({ tmpDir: tmp }) : new MysqlDumper({ tmpDir: tmp });
    const handle = dumper.dump(conn);
    const streamError = new Promise<Error>((resolve) => handle.stream.on('error', resolve));
    handle.stream.resume();
    const err = await handle.facts.catch((e) => e);
    expect(err).toBeInstanceOf(DumpFailedError);
    expect(err.message).toMatch(
      kind === 'postgres' ? /pg_dump failed .*Connection refused/s : /(mariadb-dump|mysqldump) failed .*Can't connect/s,
    );
    expect(err.stderr).toMatch(
      kind === 'postgres' ? /connection to server at "127\.0\.0\.1", port \d+ failed/ : /Can't connect to server|Can't connect to MySQL/,
    );
    expect(err.hint).toMatch(/running and reachable/);
    expect(`${err.message} ${err.stderr} ${err.hint}`).not.toContain(password);
    expect(await streamError).toBe(err);
    expect(readdirSync(tmp)).toEqual([]); // the password file is gone after a failure too
  });

  it('never shows the password in `ps` while dumping, and removes its password file', async () => {
    const src = await database(kind, 'ps');
    await seedDemo(src.connection, { tenants: 5, rowsPerTenant: 800 });
    const user = await createPasswordUser(src.connection);
    cleanups.push(user.drop);
    const tmp = mkdtempSync(join(work, 'secret-'));
    const dumper = kind === 'postgres' ? new PostgresDumper({ tmpDir: tmp }) : new MysqlDumper({ tmpDir: tmp });
    const toolLine = kind === 'postgres' ? /pg_dump --format=plain/ : new RegExp(`(mariadb-dump|mysqldump) .*${src.connection.database}`);

    const handle = dumper.dump(user.connection);
    // The stream is not read yet, so the tool blocks on a full pipe and stays visible to ps.
    const samples: string[] = [];
    let seen = false;
    for (let i = 0; i < 300 && !seen; i++) {
      const { stdout } = await run('ps', ['-eo', 'args']);
      samples.push(stdout);
      seen = stdout.split('\n').some((line) => toolLine.test(line));
      if (!seen) await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen).toBe(true);
    // While it runs, the password sits only in a 0600 file inside a 0700 directory.
    const dirs = readdirSync(tmp);
    expect(dirs).toHaveLength(1);
    expect(statSync(join(tmp, dirs[0])).mode & 0o777).toBe(0o700);
    const [secretFile] = readdirSync(join(tmp, dirs[0]));
    expect(statSync(join(tmp, dirs[0], secretFile)).mode & 0o777).toBe(0o600);

    const file = join(work, `${kind}-ps.sql`);
    let done = false;
    const sampling = (async () => {
      while (!done) {
        samples.push((await run('ps', ['-eo', 'args'])).stdout);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const facts = await dumpToFile(handle, file).finally(() => (done = true));
    await sampling;
    expect(facts.tables.sub_queues).toBe(8000);
    for (const s of samples) expect(s).not.toContain(user.password);
    expect(samples.join('\n')).not.toContain(user.password.slice(0, 19));
    expect(readdirSync(tmp)).toEqual([]); // removed after success
  });

  it('names the tool and the Debian package when the binary is missing', async () => {
    const src = await database(kind, 'missing');
    const dumper =
      kind === 'postgres' ? new PostgresDumper({ bin: '/nonexistent/pg_dump' }) : new MysqlDumper({ bin: '/nonexistent/mariadb-dump' });
    const handle = dumper.dump(src.connection);
    handle.stream.on('error', () => undefined);
    const err = await handle.facts.catch((e) => e);
    expect(err).toBeInstanceOf(ToolMissingError);
    expect(err.message).toContain(kind === 'postgres' ? '"pg_dump"' : '"mariadb-dump"');
    expect(err.hint).toContain(kind === 'postgres' ? 'apt-get install -y postgresql-client' : 'apt-get install -y mariadb-client');
  });

  it('cancel() stops the dump tool and errors the stream', async () => {
    const src = await database(kind, 'cancel');
    await seedDemo(src.connection, { tenants: 2, rowsPerTenant: 800 });
    const tmp = mkdtempSync(join(work, 'secret-'));
    const dumper = kind === 'postgres' ? new PostgresDumper({ tmpDir: tmp }) : new MysqlDumper({ tmpDir: tmp });
    const handle = dumper.dump(src.connection);
    const streamError = new Promise<Error>((resolve) => handle.stream.on('error', resolve));
    await new Promise((r) => setTimeout(r, 300));
    const reason = new Error('destination failed');
    handle.cancel(reason);
    expect(await handle.facts.catch((e) => e)).toBe(reason);
    expect(await streamError).toBe(reason);
    await new Promise((r) => setTimeout(r, 200));
    const { stdout } = await run('ps', ['-eo', 'args']);
    expect(stdout).not.toContain(src.connection.database);
    expect(readdirSync(tmp)).toEqual([]);
  });
});

describe('SQLite dump failures', () => {
  it('rejects a missing database file with DumpFailedError', async () => {
    const handle = dumperFor('sqlite').dump({ name: 'default', driver: 'sqlite', database: join(work, 'nope.db') });
    const streamError = new Promise<Error>((resolve) => handle.stream.on('error', resolve));
    handle.stream.resume();
    const err = await handle.facts.catch((e) => e);
    expect(err).toBeInstanceOf(DumpFailedError);
    expect(err.message).toContain('nope.db does not exist');
    expect(await streamError).toBe(err);
    expect(existsSync(join(work, 'nope.db'))).toBe(false);
  });
});
