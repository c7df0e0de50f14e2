import type { Client } from 'pg';

/** Settings whose value is a list: written back element by element, each as a literal. */
const LIST_SETTINGS = new Set(['search_path', 'temp_tablespaces', 'session_preload_libraries', 'local_preload_libraries', 'datestyle']);

interface DatabaseFacts {
  owner: string;
  connlimit: number;
  comment: string | null;
  acl: string | null;
  settings: Array<{ role: string | null; setting: string }>;
  grants: Array<{ privilege: string; grantable: boolean; grantee: string }>;
}

/**
 * Carries what a host configured on the live database — and what pg_dump (run with --no-owner
 * --no-privileges) does not carry — over to the loaded staging copy before the swap, so that
 * after it the app's roles still connect and read:
 * - the database: owner, CONNECT/CREATE/TEMP grants (`REVOKE CONNECT … FROM PUBLIC` included),
 *   `ALTER DATABASE … SET` and `ALTER ROLE … IN DATABASE … SET` settings, comment, connection
 *   limit;
 * - inside it, for each schema, table, view, sequence and function present in both: owner and
 *   grants; and the default privileges (ALTER DEFAULT PRIVILEGES).
 * `admin` is connected to the maintenance database; `liveClient` / `stagingClient` to the two
 * databases. Returns the statements that failed (as warnings), and throws if the database-level
 * ones fail, which the app depends on to connect.
 */
export async function carryHostSettings(
  admin: Client,
  liveClient: Client,
  stagingClient: Client,
  live: string,
  staging: string,
): Promise<string[]> {
  const db = await databaseFacts(admin, live);
  const run = async (sql: string, params: unknown[] = []) => {
    const { rows } = await admin.query<{ s: string }>(`SELECT ${sql} AS s`, params);
    await admin.query(rows[0].s);
  };
  await run("format('ALTER DATABASE %I OWNER TO %I', $1::text, $2::text)", [staging, db.owner]);
  await run("format('ALTER DATABASE %I CONNECTION LIMIT %s', $1::text, $2::int)", [staging, db.connlimit]);
  await run("format('COMMENT ON DATABASE %I IS %L', $1::text, $2::text)", [staging, db.comment]);
  if (db.acl !== null) {
    const { rows: now } = await admin.query<{ grantee: string }>(
      `SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END AS grantee
         FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a WHERE d.datname = $1`,
      [staging],
    );
    for (const g of now) await run("format('REVOKE ALL ON DATABASE %I FROM %s', $1::text, $2::text)", [staging, g.grantee]);
    for (const g of db.grants) {
      await run("format('GRANT %s ON DATABASE %I TO %s%s', $1::text, $2::text, $3::text, $4::text)", [
        g.privilege,
        staging,
        g.grantee,
        g.grantable ? ' WITH GRANT OPTION' : '',
      ]);
    }
  }
  for (const s of db.settings) {
    const eq = s.setting.indexOf('=');
    const name = s.setting.slice(0, eq);
    const value = settingValue(name, s.setting.slice(eq + 1));
    if (s.role === null) await run("format('ALTER DATABASE %I SET %I TO %s', $1::text, $2::text, $3::text)", [staging, name, value]);
    else
      await run("format('ALTER ROLE %I IN DATABASE %I SET %I TO %s', $1::text, $2::text, $3::text, $4::text)", [
        s.role,
        staging,
        name,
        value,
      ]);
  }
  return carryObjectSettings(liveClient, stagingClient);
}

async function databaseFacts(admin: Client, live: string): Promise<DatabaseFacts> {
  const { rows } = await admin.query<{ oid: number; owner: string; connlimit: number; comment: string | null; acl: string | null }>(
    `SELECT d.oid, pg_get_userbyid(d.datdba) AS owner, d.datconnlimit AS connlimit,
            shobj_description(d.oid, 'pg_database') AS comment, d.datacl::text AS acl
       FROM pg_database d WHERE d.datname = $1`,
    [live],
  );
  const d = rows[0];
  if (!d) throw new Error(`database "${live}" not found`);
  const { rows: settings } = await admin.query<{ role: string | null; setting: string }>(
    `SELECT CASE WHEN s.setrole = 0 THEN NULL ELSE pg_get_userbyid(s.setrole) END AS role, unnest(s.setconfig) AS setting
       FROM pg_db_role_setting s WHERE s.setdatabase = $1`,
    [d.oid],
  );
  const { rows: grants } = await admin.query<{ privilege: string; grantable: boolean; grantee: string }>(
    `SELECT a.privilege_type AS privilege, a.is_grantable AS grantable,
            CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END AS grantee
       FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a WHERE d.oid = $1`,
    [d.oid],
  );
  return { owner: d.owner, connlimit: d.connlimit, comment: d.comment, acl: d.acl, settings, grants };
}

/** A stored setting value as SQL: a list element by element, anything else as one literal. */
function settingValue(name: string, raw: string): string {
  const literal = (v: string) => `'${v.replace(/'/g, "''")}'`;
  if (!LIST_SETTINGS.has(name.toLowerCase())) return literal(raw);
  return raw
    .split(',')
    .map((e) => e.trim())
    .map((e) => (e.startsWith('"') && e.endsWith('"') ? e.slice(1, -1).replace(/""/g, '"') : e))
    .map(literal)
    .join(', ');
}

/** One object's owner and grants, keyed by what it is called in both databases. */
interface ObjectFacts {
  key: string;
  /** GRANT/REVOKE/ALTER … OWNER target, e.g. `TABLE "public"."t"`. */
  target: string;
  /** ALTER <alterKind> … OWNER TO. */
  alterKind: string;
  owner: string;
  grants: Array<{ privilege: string; grantable: boolean; grantee: string }>;
}

/** Schemas, relations and functions with owner and effective grants (keyed by name and kind). */
const OBJECTS_SQL = `
  WITH objs AS (
    SELECT 'schema:' || n.nspname AS key, 'SCHEMA ' || quote_ident(n.nspname) AS target, 'SCHEMA' AS alter_kind,
           n.nspowner AS owner, coalesce(n.nspacl, acldefault('n', n.nspowner)) AS acl
      FROM pg_namespace n WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
    UNION ALL
    SELECT 'rel:' || n.nspname || '.' || c.relname,
           CASE WHEN c.relkind = 'S' THEN 'SEQUENCE ' ELSE 'TABLE ' END || quote_ident(n.nspname) || '.' || quote_ident(c.relname),
           CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
           c.relowner, coalesce(c.relacl, acldefault((CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END)::"char", c.relowner))
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
    UNION ALL
    SELECT 'fn:' || n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
           CASE WHEN p.prokind = 'p' THEN 'PROCEDURE ' ELSE 'FUNCTION ' END || quote_ident(n.nspname) || '.' || quote_ident(p.proname)
             || '(' || pg_get_function_identity_arguments(p.oid) || ')',
           CASE WHEN p.prokind = 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,
           p.proowner, coalesce(p.proacl, acldefault('f', p.proowner))
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE p.prokind IN ('f', 'p') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
  )
  SELECT o.key, o.target, o.alter_kind AS "alterKind", quote_ident(pg_get_userbyid(o.owner)) AS owner,
         coalesce(json_agg(json_build_object(
           'privilege', a.privilege_type, 'grantable', a.is_grantable,
           'grantee', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END
         ) ORDER BY a.grantee, a.privilege_type) FILTER (WHERE a.privilege_type IS NOT NULL), '[]') AS grants
    FROM objs o LEFT JOIN LATERAL aclexplode(o.acl) a ON true
   GROUP BY o.key, o.target, o.alter_kind, o.owner`;

/** ALTER DEFAULT PRIVILEGES entries as statements (FOR ROLE … [IN SCHEMA …] GRANT … TO …). */
const DEFAULT_ACL_SQL = `
  SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE %I%s GRANT %s ON %s TO %s%s',
           pg_get_userbyid(d.defaclrole),
           CASE WHEN d.defaclnamespace = 0 THEN '' ELSE ' IN SCHEMA ' || quote_ident(n.nspname) END,
           a.privilege_type,
           CASE d.defaclobjtype WHEN 'r' THEN 'TABLES' WHEN 'S' THEN 'SEQUENCES' WHEN 'f' THEN 'FUNCTIONS' WHEN 'T' THEN 'TYPES' ELSE 'SCHEMAS' END,
           CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END,
           CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END) AS sql
    FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace, aclexplode(d.defaclacl) a`;

async function carryObjectSettings(liveClient: Client, stagingClient: Client): Promise<string[]> {
  const warnings: string[] = [];
  const { rows: liveObjects } = await liveClient.query<ObjectFacts>(OBJECTS_SQL);
  const { rows: defaults } = await liveClient.query<{ sql: string }>(DEFAULT_ACL_SQL);
  const same = (a: ObjectFacts['grants'], b: ObjectFacts['grants']) => JSON.stringify(a) === JSON.stringify(b);
  const exec = async (sql: string) => {
    await stagingClient.query('SAVEPOINT carry');
    try {
      await stagingClient.query(sql);
      await stagingClient.query('RELEASE SAVEPOINT carry');
    } catch (err) {
      await stagingClient.query('ROLLBACK TO SAVEPOINT carry');
      warnings.push(`${sql}: ${(err as Error).message}`);
    }
  };
  await stagingClient.query('BEGIN');
  try {
    // Owners first (a table's owner change carries its sequences), then grants against the new owners.
    for (const pass of ['owner', 'grants'] as const) {
      const { rows: staged } = await stagingClient.query<ObjectFacts>(OBJECTS_SQL);
      const byKey = new Map(staged.map((o) => [o.key, o]));
      for (const o of liveObjects) {
        const s = byKey.get(o.key);
        if (!s) continue;
        if (pass === 'owner' && s.owner !== o.owner)
          await exec(`ALTER ${o.alterKind} ${o.target.replace(/^\S+ /, '')} OWNER TO ${o.owner}`);
        if (pass === 'grants' && !same(s.grants, o.grants)) {
          for (const grantee of new Set(s.grants.map((g) => g.grantee))) await exec(`REVOKE ALL ON ${o.target} FROM ${grantee}`);
          for (const g of o.grants)
            await exec(`GRANT ${g.privilege} ON ${o.target} TO ${g.grantee}${g.grantable ? ' WITH GRANT OPTION' : ''}`);
        }
      }
    }
    for (const d of defaults) await exec(d.sql);
    await stagingClient.query('COMMIT');
  } catch (err) {
    await stagingClient.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return warnings;
}
