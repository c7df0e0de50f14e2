/**
 * The client tools (pg_dump, psql, mariadb-dump, mariadb) get only the environment they need:
 * while each one runs, its /proc/<pid>/environ holds none of the app's secrets (DB_URL, the
 * archive password, the AWS keys, a webhook secret) and no HOME; and a HOME holding a
 * ~/.my.cnf or ~/.psqlrc is not read.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { ConnectionInfo } from '../../libs/backup/src/sources/connection-info';
import { MysqlDumper } from '../../libs/backup/src/sources/mysql.dumper';
import { MysqlLoader } from '../../libs/backup/src/sources/mysql.loader';
import { PostgresDumper } from '../../libs/backup/src/sources/postgres.dumper';
import { PostgresLoader } from '../../libs/backup/src/sources/postgres.loader';
import { createTestDatabase, runSql, TestDatabase, ADMIN } from '../support/databases';

const SECRETS: Record<string, string> = {
  DB_URL: 'postgres://app:Db-url-secret-4711@db.example/app',
  BACKUP_ARCHIVE_PASSWORD: 'archive-password-secret-0123456789abcdef',
  AWS_ACCESS_KEY_ID: 'AKIAENVLEAKTEST00000',
  AWS_SECRET_ACCESS_KEY: 'aws-secret-access-key-env-leak-test',
  BACKUP_WEBHOOK_SECRET: 'webhook-secret-env-leak-test',
  // Not a secret, but not passed on either (Debian's pg_wrapper sets the user's own HOME).
  HOME: '/nonexistent/nbt-home-of-the-app',
};

/** A server that accepts connections and never answers: the tool waits in its connect. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The running child of this process whose program is `tool` (not a `--help` / `--version` probe). */
async function childNamed(tool: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
        if (
          ppid === process.pid &&
          argv.some((a) => a.endsWith(`/${tool}`) || a === tool) &&
          !argv.includes('--help') &&
          !argv.includes('--version')
        )
          return Number(entry);
      } catch {
        /* gone meanwhile */
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no running ${tool} child found`);
}

function environOf(pid: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean)) {
    const at = kv.indexOf('=');
    env[kv.slice(0, at)] = kv.slice(at + 1);
  }
  return env;
}

describe('the environment of the client tools', () => {
  const saved = { ...process.env };
  let silent: Awaited<ReturnType<typeof silentServer>>;

  beforeAll(async () => {
    Object.assign(process.env, SECRETS);
    silent = await silentServer();
  });
  afterAll(async () => {
    for (const key of Object.keys(SECRETS)) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    await silent?.close();
  });

  const target = (driver: 'postgres' | 'mariadb'): ConnectionInfo => ({
    name: 'default',
    driver,
    host: '127.0.0.1',
    port: silent.port,
    username: 'app',
    password: 'Tool-password-secret-99',
    database: 'app',
  });

  function expectAllowListOnly(env: Record<string, string>): void {
    for (const [key, value] of Object.entries(SECRETS)) {
      if (key !== 'HOME') expect(env[key]).toBeUndefined();
      expect(Object.values(env).join('\n')).not.toContain(value);
    }
    expect(env.PATH).toBe(process.env.PATH);
    expect(Object.values(env).join('\n')).not.toContain('Tool-password-secret-99');
    // stdbuf adds its own two (the 1 MiB stdio buffer), Debian's pg_wrapper HOME.
    if (env.LD_PRELOAD) expect(env.LD_PRELOAD).toMatch(/libstdbuf\.so$/);
    for (const key of Object.keys(env)) expect(key).toMatch(/^(PATH|LANG|LANGUAGE|TZ|TMPDIR|LC_\w+|PG\w+|_STDBUF_[IOE]|LD_PRELOAD|HOME)$/);
  }

  it.each([
    ['pg_dump', () => new PostgresDumper().dump(target('postgres'))],
    ['mariadb-dump', () => new MysqlDumper().dump(target('mariadb'))],
  ] as const)('%s sees none of the app secrets', async (tool, start) => {
    const handle = start();
    handle.stream.on('error', () => undefined);
    try {
      expectAllowListOnly(environOf(await childNamed(tool)));
    } finally {
      handle.cancel();
      await handle.facts.catch(() => undefined);
    }
  });

  it.each([
    ['psql', () => new PostgresLoader().load(target('postgres'), Readable.from(['SELECT 1;\n']))],
    ['mariadb', () => new MysqlLoader().load(target('mariadb'), Readable.from(['SELECT 1;\n']))],
  ] as const)('%s sees none of the app secrets', async (tool, start) => {
    const loading = start().catch(() => undefined);
    const pid = await childNamed(tool);
    try {
      expectAllowListOnly(environOf(pid));
    } finally {
      process.kill(pid, 'SIGKILL');
      await loading;
    }
  });
});

describe("the user's start-up files", () => {
  let db: TestDatabase;
  let home: string;
  const marker = `nbt_mycnf_marker_${process.pid}`;
  const savedHome = process.env.HOME;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'nbt-home-'));
    writeFileSync(join(home, '.my.cnf'), `[mysql]\ninit-command="CREATE DATABASE ${marker}"\n`);
    writeFileSync(join(home, '.psqlrc'), `\\! touch ${join(home, 'psqlrc-ran')}\n`);
    process.env.HOME = home;
  });
  afterAll(async () => {
    process.env.HOME = savedHome;
    await runSql(ADMIN.mariadb, `DROP DATABASE IF EXISTS ${marker}`).catch(() => undefined);
    await db?.drop();
    rmSync(home, { recursive: true, force: true });
  });

  it("the mariadb client reads no ~/.my.cnf (only the library's own options file)", async () => {
    db = await createTestDatabase('mariadb', 'mycnf');
    await new MysqlLoader().load(db.connection, Readable.from(['CREATE TABLE t (a INT);\n']));
    const rows = await runSql(ADMIN.mariadb, `SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${marker}'`);
    expect(rows).toEqual([]);
  });

  it('psql reads no ~/.psqlrc', async () => {
    const pg = await createTestDatabase('postgres', 'psqlrc');
    try {
      const sql = new PassThrough();
      sql.end('CREATE TABLE t (a int);\n');
      await new PostgresLoader().load(pg.connection, sql);
      expect(existsSync(join(home, 'psqlrc-ran'))).toBe(false);
    } finally {
      await pg.drop();
    }
  });
});
