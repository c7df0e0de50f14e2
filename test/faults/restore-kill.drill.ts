/**
 * The restore kill drill (issue 16): `backup:restore` over a live PostgreSQL or MariaDB
 * database, killed with SIGKILL at random moments — some while another connection holds a
 * transaction open on a live table during the swap. After each kill the live database's schema
 * (tables, columns, views, triggers, grants, settings) and per-table checksums must equal the
 * state before the restore or the backup's; then a second restore must complete and leave no
 * scratch database and no temporary file. Used by restore-kill.e2e.ts (a few rounds) and
 * `npm run drill:restore-kill` (bench/restore-kill.drill.ts, 20 rounds per engine).
 *
 * Plain drivers and the compiled CLI only, so it runs from jest and from dist/ alike.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, Connection } from 'mysql2/promise';
import { Client } from 'pg';

export type DrillEngine = 'postgres' | 'mariadb';
type Server = { host: string; port: number; user: string; password?: string; database: string };

/** Where a kill landed, from the last progress line the restore printed before it. */
export type KillPhase = 'start' | 'staging' | 'swap' | 'swap-with-open-transaction' | 'after-swap' | 'finished-before-kill';

export interface DrillCounts {
  engine: DrillEngine;
  rounds: number;
  killsByPhase: Partial<Record<KillPhase, number>>;
  /** The live database right after the kill. */
  atKill: { before: number; after: number; neither: number };
  /** After what the next restore does first (removeDeadStagingDatabases), before it loads anything. */
  afterRecovery: { before: number; after: number; neither: number };
  secondRestoreOk: number;
  /** Scratch databases and temporary files found after the second restore (summed over rounds). */
  leftovers: number;
  problems: string[];
}

export interface DrillOptions {
  engine: DrillEngine;
  rounds: number;
  /** The compiled demo CLI. */
  cli: string;
  /** removeDeadStagingDatabases (from src in jest, from dist in the npm script). */
  recover: (server: any, live: string) => Promise<string[]>;
  log?: (line: string) => void;
  /** BACKUP_RESTORE_JOBS of the restores (client sessions loading the dump; default 1). */
  jobs?: number;
}

const PASSWORD = 'restore-kill-drill-password-0123456789-abcdef';
const ADMIN: Record<DrillEngine, Server> = {
  postgres: { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' },
  mariadb: { host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'mysql' },
};

async function sql(engine: DrillEngine, s: Server, text: string, params: unknown[] = []): Promise<any[]> {
  if (engine === 'postgres') {
    const c = new Client({ host: s.host, port: s.port, user: s.user, database: s.database });
    c.on('error', () => undefined);
    await c.connect();
    try {
      return (await c.query(text, params)).rows;
    } finally {
      await c.end().catch(() => undefined);
    }
  }
  const c = await createConnection({
    host: s.host,
    port: s.port,
    user: s.user,
    password: s.password,
    database: s.database,
    multipleStatements: params.length === 0,
  });
  try {
    const [rows] = await c.query(text, params);
    return Array.isArray(rows) ? (rows as any[]) : [];
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Schema, grants, settings and per-table checksums of the live database, as one comparable string. */
async function fingerprint(engine: DrillEngine, live: Server): Promise<string> {
  if (engine === 'postgres') {
    const admin = { ...ADMIN.postgres };
    const db = await sql(
      engine,
      admin,
      `SELECT pg_get_userbyid(datdba) AS owner, datacl::text AS acl, shobj_description(oid, 'pg_database') AS comment,
        (SELECT array_agg(x ORDER BY x) FROM pg_db_role_setting s, unnest(s.setconfig) x WHERE s.setdatabase = d.oid) AS settings
        FROM pg_database d WHERE datname = $1`,
      [live.database],
    );
    const columns = await sql(
      engine,
      live,
      `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2`,
    );
    const views = await sql(engine, live, `SELECT viewname, definition FROM pg_views WHERE schemaname = 'public' ORDER BY 1`);
    const triggers = await sql(
      engine,
      live,
      `SELECT tgname, pg_get_triggerdef(t.oid) AS def FROM pg_trigger t WHERE NOT tgisinternal ORDER BY 1`,
    );
    const grants = await sql(
      engine,
      live,
      `SELECT relname, relacl::text AS acl FROM pg_class c JOIN pg_namespace n ON n.oid = relnamespace WHERE nspname = 'public' ORDER BY 1`,
    );
    const tables = await sql(engine, live, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
    const sums: Record<string, string> = {};
    for (const { tablename } of tables) {
      const [r] = await sql(engine, live, `SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) AS h FROM "${tablename}" t`);
      sums[tablename] = r.h;
    }
    return JSON.stringify({ db, columns, views, triggers, grants, sums });
  }
  const schema = await sql(
    engine,
    live,
    `SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`,
    [live.database],
  );
  const columns = await sql(
    engine,
    live,
    `SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY 1, 2`,
    [live.database],
  );
  const views = await sql(
    engine,
    live,
    `SELECT TABLE_NAME, VIEW_DEFINITION, CHARACTER_SET_CLIENT FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? ORDER BY 1`,
    [live.database],
  );
  const triggers = await sql(
    engine,
    live,
    `SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_STATEMENT, CHARACTER_SET_CLIENT FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY 1`,
    [live.database],
  );
  const grants = await sql(
    engine,
    live,
    `SELECT GRANTEE, TABLE_NAME, PRIVILEGE_TYPE FROM information_schema.TABLE_PRIVILEGES WHERE TABLE_SCHEMA = ? ORDER BY 1, 2, 3`,
    [live.database],
  );
  const tables = await sql(
    engine,
    live,
    `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1`,
    [live.database],
  );
  const sums: Record<string, string> = {};
  for (const { t } of tables) {
    const [r] = await sql(engine, live, `CHECKSUM TABLE \`${t}\``);
    sums[t] = String(r.Checksum);
  }
  return JSON.stringify({ schema, columns, views, triggers, grants, sums });
}

/** Scratch databases beside `live` (staging copies, replaced ones). */
async function scratchDatabases(engine: DrillEngine, live: string): Promise<string[]> {
  const rows =
    engine === 'postgres'
      ? await sql(engine, ADMIN.postgres, 'SELECT datname AS n FROM pg_database')
      : await sql(engine, ADMIN.mariadb, 'SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA');
  return rows.map((r) => String(r.n)).filter((n) => n.startsWith(`${live}_`) && /_(restore|old|replaced)_[0-9a-f]{8}$/.test(n));
}

/** Every file below `dir` (relative). */
function filesBelow(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), join(rel, e.name));
      else out.push(join(rel, e.name));
    }
  };
  walk(dir, '');
  return out;
}

function runCli(
  cli: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
): { child: ChildProcess; lines: string[]; done: Promise<number | null> } {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buf = '';
  const take = (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    lines.push(...parts);
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const done = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { child, lines, done };
}

function phaseOf(lines: string[]): KillPhase {
  const text = lines.join('\n');
  if (/Measured recovery time/.test(lines.slice(-3).join('\n')) && /Swapping|Carrying/.test(text)) return 'after-swap';
  if (/Swapping|Carrying/.test(text)) return 'swap';
  if (/staging database/.test(text)) return 'staging';
  return 'start';
}

/** What is in a scratch database that was left, and whether its restore's lock is held. */
async function describeLeftovers(engine: DrillEngine, names: string[]): Promise<string> {
  if (engine !== 'mariadb') return '';
  const out: string[] = [];
  for (const n of names) {
    const hex = /_([0-9a-f]{8})$/.exec(n)?.[1];
    if (!hex) continue;
    const [lock] = await sql(engine, ADMIN.mariadb, 'SELECT IS_USED_LOCK(?) AS holder', [`nest_backup_restore_${hex}`]);
    const tables = await sql(engine, ADMIN.mariadb, 'SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [n]);
    out.push(`${n}: lock ${lock?.holder ?? 'free'}, tables ${tables.map((t) => t.t).join(' ') || 'none'}`);
  }
  return out.length ? ` (${out.join('; ')})` : '';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A view, a trigger and a table grant (MariaDB); grants and settings (PostgreSQL) the restore must keep. */
async function prepare(engine: DrillEngine, live: Server, role: string): Promise<void> {
  if (engine === 'postgres') {
    await sql(
      engine,
      live,
      `CREATE TABLE audit (id serial PRIMARY KEY, tenant_id int NOT NULL);
      CREATE FUNCTION audit_tenant() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit (tenant_id) VALUES (NEW.id); RETURN NEW; END $$;
      CREATE TRIGGER tenants_audit AFTER INSERT ON tenants FOR EACH ROW EXECUTE FUNCTION audit_tenant();
      CREATE VIEW tenant_names AS SELECT id, name FROM tenants;
      GRANT SELECT, INSERT ON tenants TO ${role}`,
    );
    await sql(engine, ADMIN.postgres, `REVOKE CONNECT ON DATABASE "${live.database}" FROM PUBLIC`);
    await sql(engine, ADMIN.postgres, `GRANT CONNECT ON DATABASE "${live.database}" TO ${role}`);
    await sql(engine, ADMIN.postgres, `ALTER DATABASE "${live.database}" SET statement_timeout = '7s'`);
    await sql(engine, ADMIN.postgres, `COMMENT ON DATABASE "${live.database}" IS 'kill drill'`);
    return;
  }
  await sql(
    engine,
    live,
    `CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, tenant_id INT NOT NULL);
    CREATE TRIGGER tenants_audit AFTER INSERT ON tenants FOR EACH ROW INSERT INTO audit (tenant_id) VALUES (NEW.id);
    CREATE VIEW tenant_names AS SELECT id, name FROM tenants`,
  );
  await sql(engine, ADMIN.mariadb, `GRANT SELECT, INSERT ON \`${live.database}\`.tenants TO '${role}'@'%'`);
}

/** The state the live database is in when a restore starts: changed rows, view, trigger and a new table. */
async function change(engine: DrillEngine, live: Server): Promise<void> {
  await sql(engine, live, `UPDATE users SET name = 'changed since the backup' WHERE id < 4`);
  await sql(engine, live, `CREATE TABLE made_after_backup (id INTEGER PRIMARY KEY)`);
  await sql(engine, live, `INSERT INTO made_after_backup (id) VALUES (1), (2)`);
  await sql(engine, live, `CREATE OR REPLACE VIEW tenant_names AS SELECT id, name FROM tenants WHERE id > 1`);
  if (engine === 'mariadb') {
    await sql(
      engine,
      live,
      `DROP TRIGGER tenants_audit; CREATE TRIGGER tenants_audit AFTER INSERT ON tenants FOR EACH ROW INSERT INTO audit (tenant_id) VALUES (NEW.id + 1000)`,
    );
  }
}

export async function runRestoreKillDrill(o: DrillOptions): Promise<DrillCounts> {
  const log = o.log ?? (() => undefined);
  const hex = randomBytes(3).toString('hex');
  const name = `nbt_kill_${o.engine === 'postgres' ? 'pg' : 'my'}_${hex}`;
  const role = `nbt_kill_app_${hex}`;
  const app = mkdtempSync(join(tmpdir(), 'nbt-kill-drill-'));
  const childTmp = join(app, 'child-tmp');
  mkdirSync(childTmp);
  const live: Server = { ...ADMIN[o.engine], database: name };
  const url = o.engine === 'postgres' ? `postgres://postgres@127.0.0.1:5432/${name}` : `mariadb://root@127.0.0.1:3306/${name}`;
  // TMPDIR of the child: temporary files it leaves are found there and nowhere else.
  const env: Record<string, string> = {
    DB_URL: url,
    BACKUP_NAME: 'kill-drill',
    BACKUP_DISKS: 'local',
    BACKUP_ARCHIVE_PASSWORD: PASSWORD,
    BACKUP_FAILURE_NOTIFICATIONS: '',
    BACKUP_HEALTH_NOTIFICATIONS: '',
    TMPDIR: childTmp,
  };
  if (o.jobs) env.BACKUP_RESTORE_JOBS = String(o.jobs);
  const counts: DrillCounts = {
    engine: o.engine,
    rounds: 0,
    killsByPhase: {},
    atKill: { before: 0, after: 0, neither: 0 },
    afterRecovery: { before: 0, after: 0, neither: 0 },
    secondRestoreOk: 0,
    leftovers: 0,
    problems: [],
  };
  const cli = (args: string[]) => runCli(o.cli, args, env, app);
  try {
    if (o.engine === 'postgres') {
      await sql(o.engine, ADMIN.postgres, `CREATE ROLE ${role} LOGIN`);
      await sql(o.engine, ADMIN.postgres, `CREATE DATABASE "${name}"`);
    } else {
      await sql(o.engine, ADMIN.mariadb, `CREATE USER '${role}'@'%'`);
      await sql(o.engine, ADMIN.mariadb, `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    }
    const seeded = cli(['demo:seed', '--tenants', '3', '--rows', '20']);
    if ((await seeded.done) !== 0) throw new Error(`demo:seed failed: ${seeded.lines.join('\n')}`);
    await prepare(o.engine, live, role);
    const backup = async (file: string) => {
      const r = cli(['backup:run', '--only-db', '--filename', file]);
      if ((await r.done) !== 0) throw new Error(`backup:run failed: ${r.lines.join('\n')}`);
    };
    await backup('state-a.zip');
    const stateA = await fingerprint(o.engine, live);
    await change(o.engine, live);
    await backup('state-b.zip');
    const stateB = await fingerprint(o.engine, live);
    if (stateA === stateB) throw new Error('the two states do not differ');
    const archives = { a: 'state-a.zip', b: 'state-b.zip' };

    // One full restore, timed, to spread the random kills over a whole run.
    const t0 = Date.now();
    const timed = cli(['backup:restore', archives.a, '--only-db', '--force', '--no-safety-backup']);
    if ((await timed.done) !== 0) throw new Error(`restore failed: ${timed.lines.join('\n')}`);
    const fullMs = Date.now() - t0;
    log(`${o.engine}: one restore takes ${fullMs} ms`);

    let current: 'a' | 'b' = 'a';
    for (let round = 0; round < o.rounds; round++) {
      const target: 'a' | 'b' = current === 'a' ? 'b' : 'a';
      const fp = { a: stateA, b: stateB };
      const classify = (f: string) => (f === fp[current] ? 'before' : f === fp[target] ? 'after' : 'neither');
      const mode = round % 3; // 0: random moment; 1: during the swap; 2: during the swap, a transaction open on a live table
      let holder: Connection | Client | undefined;
      if (mode === 2) {
        if (o.engine === 'mariadb') {
          const c = await createConnection({ host: live.host, port: live.port, user: live.user, password: live.password, database: name });
          c.on('error', () => undefined);
          await c.query('BEGIN');
          await c.query('SELECT COUNT(*) FROM tenants');
          holder = c;
        } else {
          const c = new Client({ host: live.host, port: live.port, user: live.user, database: name });
          c.on('error', () => undefined);
          await c.connect();
          await c.query('BEGIN');
          await c.query('SELECT count(*) FROM tenants');
          holder = c;
        }
      }
      const run = cli(['backup:restore', archives[target], '--only-db', '--force', '--no-safety-backup']);
      let exited = false;
      void run.done.then(() => (exited = true));
      if (mode === 0) {
        await sleep(Math.random() * fullMs);
      } else {
        const started = Date.now();
        while (!exited && !run.lines.some((l) => /Swapping|Carrying/.test(l)) && Date.now() - started < 60_000) await sleep(5);
        await sleep(mode === 2 && o.engine === 'mariadb' ? Math.random() * 2000 : Math.random() * 500);
      }
      let phase: KillPhase = exited ? 'finished-before-kill' : phaseOf(run.lines);
      if (phase === 'swap' && holder) phase = 'swap-with-open-transaction';
      run.child.kill('SIGKILL');
      await run.done;
      if (holder) {
        if (holder instanceof Client) await holder.end().catch(() => undefined);
        else await (holder as Connection).end().catch(() => undefined);
      }
      counts.killsByPhase[phase] = (counts.killsByPhase[phase] ?? 0) + 1;
      // psql / mysql loading the dump were children of the killed process: they end at the
      // end of their input; give them a moment.
      await sleep(300);

      const atKill = classify(await fingerprint(o.engine, live));
      counts.atKill[atKill]++;
      const recovered = await o.recover(
        {
          name: 'default',
          driver: o.engine,
          host: live.host,
          port: live.port,
          username: live.user,
          password: live.password,
          database: name,
        },
        name,
      );
      const afterRecovery = classify(await fingerprint(o.engine, live));
      counts.afterRecovery[afterRecovery]++;
      if (afterRecovery === 'neither') counts.problems.push(`round ${round} (${phase}): the live database is neither state after recovery`);

      const second = cli(['backup:restore', archives[target], '--only-db', '--force', '--no-safety-backup']);
      const code = await second.done;
      const final = await fingerprint(o.engine, live);
      if (code === 0 && final === fp[target]) counts.secondRestoreOk++;
      else
        counts.problems.push(
          `round ${round}: second restore exit ${code}, state ${classify(final)}: ${second.lines.slice(-4).join(' | ')}`,
        );
      const left = [
        ...(await scratchDatabases(o.engine, name)),
        ...filesBelow(childTmp),
        ...filesBelow(app).filter((f) => /\.tmp$|\.staged-|restore-/.test(f)),
      ];
      counts.leftovers += left.length;
      if (left.length) counts.problems.push(`round ${round}: left behind ${left.join(', ')}${await describeLeftovers(o.engine, left)}`);
      log(
        `${o.engine} round ${round + 1}/${o.rounds}: killed in ${phase}; at kill ${atKill}, after recovery ${afterRecovery}${recovered.length ? ` (${recovered.join(' ')})` : ''}; second restore ${code === 0 ? 'ok' : `exit ${code}`}; leftovers ${left.length}`,
      );
      counts.rounds++;
      current = target;
    }
    return counts;
  } finally {
    for (const n of await scratchDatabases(o.engine, name).catch(() => [])) {
      await sql(
        o.engine,
        ADMIN[o.engine],
        o.engine === 'postgres' ? `DROP DATABASE IF EXISTS "${n}" WITH (FORCE)` : `DROP DATABASE IF EXISTS \`${n}\``,
      ).catch(() => undefined);
    }
    if (o.engine === 'postgres') {
      await sql(o.engine, ADMIN.postgres, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
      await sql(o.engine, ADMIN.postgres, `DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    } else {
      await sql(o.engine, ADMIN.mariadb, `DROP DATABASE IF EXISTS \`${name}\``).catch(() => undefined);
      await sql(o.engine, ADMIN.mariadb, `DROP USER IF EXISTS '${role}'@'%'`).catch(() => undefined);
    }
    rmSync(app, { recursive: true, force: true });
  }
}
