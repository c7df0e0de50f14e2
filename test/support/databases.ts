/**
 * Test helper shared by every end-to-end suite that needs a database: uniquely named
 * PostgreSQL / MariaDB databases (and SQLite files) on this machine, created and dropped by the
 * test; plain SQL; table contents for comparisons; the demo schema and deterministic demo data.
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { Client } from 'pg';
import { ConnectionInfo } from '../../libs/backup/src/sources/connection-info';

export type DbKind = 'postgres' | 'mariadb' | 'sqlite';
export const DB_KINDS: DbKind[] = ['postgres', 'mariadb', 'sqlite'];

/** The servers' admin accounts (trust auth / empty root password on this machine). */
export const ADMIN: Record<'postgres' | 'mariadb', ConnectionInfo> = {
  postgres: { name: 'admin', driver: 'postgres', host: '127.0.0.1', port: 5432, username: 'postgres', database: 'postgres' },
  mariadb: { name: 'admin', driver: 'mariadb', host: '127.0.0.1', port: 3306, username: 'root', password: '', database: 'mysql' },
};

export function kindOf(c: ConnectionInfo): DbKind {
  return c.driver === 'mysql' ? 'mariadb' : (c.driver as DbKind);
}

export function uniqueName(label = 'db'): string {
  return `nbt_${label}_${process.pid}_${randomBytes(4).toString('hex')}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

export interface TestDatabase {
  kind: DbKind;
  connection: ConnectionInfo;
  drop(): Promise<void>;
}

/** A new empty database (SQLite: a file path in a fresh temp dir, not created yet). */
export async function createTestDatabase(kind: DbKind, label = 'db'): Promise<TestDatabase> {
  const name = uniqueName(label);
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'nbt-sqlite-'));
    return {
      kind,
      connection: { name: 'default', driver: 'sqlite', database: join(dir, `${name}.db`) },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const admin = ADMIN[kind];
  if (kind === 'postgres') await runSql(admin, `CREATE DATABASE "${name}"`);
  else await runSql(admin, `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  return {
    kind,
    connection: { ...admin, name: 'default', database: name },
    drop: async () => {
      if (kind === 'postgres') await runSql(admin, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      else await runSql(admin, `DROP DATABASE IF EXISTS \`${name}\``);
    },
  };
}

/**
 * Runs SQL (several `;`-separated statements allowed when there are no params) and returns the
 * rows of the last statement.
 */
export async function runSql(c: ConnectionInfo, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const kind = kindOf(c);
  if (kind === 'sqlite') {
    const db = new Database(c.database);
    try {
      if (params.length === 0 && !/^\s*(SELECT|PRAGMA|WITH)/i.test(sql)) {
        db.exec(sql);
        return [];
      }
      const stmt = db.prepare(sql);
      return stmt.reader ? (stmt.all(...params) as Record<string, unknown>[]) : (stmt.run(...params), []);
    } finally {
      db.close();
    }
  }
  if (kind === 'postgres') {
    const client = new Client({ host: c.host, port: c.port, user: c.username, password: c.password, database: c.database });
    await client.connect();
    try {
      const result = await client.query(sql, params.length ? params : undefined);
      const last = Array.isArray(result) ? result[result.length - 1] : result;
      return last.rows ?? [];
    } finally {
      await client.end();
    }
  }
  const conn = await createConnection({
    host: c.host,
    port: c.port,
    user: c.username,
    password: c.password,
    database: c.database,
    multipleStatements: params.length === 0,
    charset: 'utf8mb4',
  });
  try {
    const [rows] = await conn.query(sql, params);
    return Array.isArray(rows) && !Array.isArray(rows[0]) ? (rows as Record<string, unknown>[]) : [];
  } finally {
    await conn.end();
  }
}

/** Base tables of the database, sorted (public schema only for PostgreSQL). */
export async function listTables(c: ConnectionInfo): Promise<string[]> {
  const kind = kindOf(c);
  const sql =
    kind === 'postgres'
      ? `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`
      : kind === 'mariadb'
        ? `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1`
        : `SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1`;
  return (await runSql(c, sql)).map((r) => String(r.t));
}

function normalize(v: unknown): unknown {
  if (v instanceof Date) return `date:${v.toISOString()}`;
  if (Buffer.isBuffer(v)) return `hex:${v.toString('hex')}`;
  if (typeof v === 'bigint') return `int:${v}`;
  if (typeof v === 'number') return Object.is(v, -0) ? 0 : v;
  return v;
}

/** Every table's rows, ordered by all columns, values normalized for deep equality. */
export async function tableContents(c: ConnectionInfo): Promise<Record<string, unknown[][]>> {
  const kind = kindOf(c);
  const q = (n: string) => (kind === 'mariadb' ? `\`${n}\`` : `"${n}"`);
  const out: Record<string, unknown[][]> = {};
  for (const table of await listTables(c)) {
    const sample = await runSql(c, `SELECT * FROM ${q(table)} LIMIT 1`);
    const width = sample[0] ? Object.keys(sample[0]).length : 1;
    const order = Array.from({ length: width }, (_, i) => i + 1).join(', ');
    const rows = await runSql(c, `SELECT * FROM ${q(table)} ORDER BY ${order}`);
    out[table] = rows.map((r) => Object.values(r).map(normalize));
  }
  return out;
}

/** Rows per table, keyed like DumpFacts.tables. */
export async function rowCounts(c: ConnectionInfo): Promise<Record<string, number>> {
  const kind = kindOf(c);
  const q = (n: string) => (kind === 'mariadb' ? `\`${n}\`` : `"${n}"`);
  const out: Record<string, number> = {};
  for (const table of await listTables(c)) out[table] = Number((await runSql(c, `SELECT COUNT(*) AS n FROM ${q(table)}`))[0].n);
  return out;
}

/** The demo app's tables, in portable SQL (foreign keys as table constraints for MariaDB). */
export const DEMO_SCHEMA_SQL = `
CREATE TABLE tenants (
  id INTEGER NOT NULL PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  created_at TIMESTAMP NOT NULL
);
CREATE TABLE users (
  id INTEGER NOT NULL PRIMARY KEY,
  tenant_id INTEGER NOT NULL,
  email VARCHAR(255) NOT NULL,
  name VARCHAR(255),
  FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);
CREATE TABLE clinics (
  id INTEGER NOT NULL PRIMARY KEY,
  tenant_id INTEGER NOT NULL,
  name VARCHAR(255) NOT NULL,
  address TEXT,
  FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);
CREATE TABLE queues (
  id INTEGER NOT NULL PRIMARY KEY,
  tenant_id INTEGER NOT NULL,
  clinic_id INTEGER NOT NULL,
  name VARCHAR(255) NOT NULL,
  FOREIGN KEY (tenant_id) REFERENCES tenants (id),
  FOREIGN KEY (clinic_id) REFERENCES clinics (id)
);
CREATE TABLE sub_queues (
  id INTEGER NOT NULL PRIMARY KEY,
  queue_id INTEGER NOT NULL,
  name VARCHAR(255) NOT NULL,
  position INTEGER NOT NULL,
  FOREIGN KEY (queue_id) REFERENCES queues (id)
);
`;

/** Values that break naive quoting: quotes, backslashes, COPY markers, unicode, newlines. */
export const AWKWARD = [
  "O'Brien's clinic",
  'C:\\temp\\new \\N',
  '\\.',
  'Zürich – 東京 – 🦷 café',
  'line one\nline two\r\n\tindented',
  '"double" `backtick` ; semicolon -- not a comment /* nor this */',
  "') ; DROP TABLE tenants; --",
  '',
  '(parens) and (more)',
];

const pick = (i: number) => AWKWARD[i % AWKWARD.length];

/** Inserts rows with placeholders, in batches. */
export async function insertRows(c: ConnectionInfo, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  const kind = kindOf(c);
  const batch = 400;
  for (let start = 0; start < rows.length; start += batch) {
    const part = rows.slice(start, start + batch);
    let n = 0;
    const tuples = part.map(() => `(${columns.map(() => (kind === 'postgres' ? `$${++n}` : '?')).join(', ')})`);
    await runSql(c, `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, part.flat());
  }
}

export interface SeedOptions {
  tenants?: number;
  rowsPerTenant?: number;
}

/**
 * Creates the demo schema and fills it deterministically: per tenant `rowsPerTenant` users,
 * clinics and queues and twice as many sub_queues, with awkward values and NULLs mixed in.
 */
export async function seedDemo(c: ConnectionInfo, options: SeedOptions = {}): Promise<void> {
  const tenants = options.tenants ?? 5;
  const per = options.rowsPerTenant ?? 10;
  await runSql(c, DEMO_SCHEMA_SQL);
  const t: unknown[][] = [];
  const users: unknown[][] = [];
  const clinics: unknown[][] = [];
  const queues: unknown[][] = [];
  const subs: unknown[][] = [];
  for (let tenant = 1; tenant <= tenants; tenant++) {
    const day = String(1 + (tenant % 28)).padStart(2, '0');
    t.push([tenant, `Tenant ${tenant} ${pick(tenant)}`, `2024-03-${day} 10:${String(tenant % 60).padStart(2, '0')}:05`]);
    for (let i = 1; i <= per; i++) {
      const id = (tenant - 1) * per + i;
      users.push([id, tenant, `user${id}@tenant${tenant}.example`, id % 7 === 0 ? null : `User ${pick(id)} ${id}`]);
      clinics.push([id, tenant, `Clinic ${id} ${pick(id + 1)}`, id % 5 === 0 ? null : `${id} Main St\n${pick(id + 2)}`]);
      queues.push([id, tenant, id, `Queue ${id} ${pick(id + 3)}`]);
      subs.push([2 * id - 1, id, `Sub ${pick(id + 4)} A`, 1], [2 * id, id, `Sub ${pick(id + 5)} B`, 2]);
    }
  }
  await insertRows(c, 'tenants', ['id', 'name', 'created_at'], t);
  await insertRows(c, 'users', ['id', 'tenant_id', 'email', 'name'], users);
  await insertRows(c, 'clinics', ['id', 'tenant_id', 'name', 'address'], clinics);
  await insertRows(c, 'queues', ['id', 'tenant_id', 'clinic_id', 'name'], queues);
  await insertRows(c, 'sub_queues', ['id', 'queue_id', 'name', 'position'], subs);
}

export interface PasswordUser {
  connection: ConnectionInfo;
  password: string;
  drop(): Promise<void>;
}

/**
 * A PostgreSQL role / MariaDB user with a password (awkward characters included) that can read
 * `db`. PostgreSQL here uses trust auth, so the server does not check it; the tools still get it.
 */
export async function createPasswordUser(db: ConnectionInfo): Promise<PasswordUser> {
  const kind = kindOf(db);
  const user = uniqueName('u');
  const password = `Pw-${randomBytes(8).toString('hex')}-"q'\\#:;x`;
  if (kind === 'postgres') {
    await runSql(ADMIN.postgres, `CREATE ROLE ${user} LOGIN PASSWORD '${password.replace(/'/g, "''")}'`);
    await runSql(ADMIN.postgres, `GRANT pg_read_all_data TO ${user}`);
    return {
      connection: { ...db, username: user, password },
      password,
      drop: async () => void (await runSql(ADMIN.postgres, `DROP ROLE IF EXISTS ${user}`)),
    };
  }
  if (kind === 'mariadb') {
    await runSql(ADMIN.mariadb, `CREATE USER ?@'%' IDENTIFIED BY ?`, [user, password]);
    await runSql(ADMIN.mariadb, `GRANT ALL PRIVILEGES ON \`${db.database}\`.* TO ?@'%'`, [user]);
    return {
      connection: { ...db, username: user, password },
      password,
      drop: async () => void (await runSql(ADMIN.mariadb, `DROP USER IF EXISTS ?@'%'`, [user])),
    };
  }
  throw new Error('SQLite has no users');
}
