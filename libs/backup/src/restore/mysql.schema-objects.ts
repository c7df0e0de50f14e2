import type { Connection } from 'mysql2/promise';

export const quoteMysql = (name: string) => '`' + name.replace(/`/g, '``') + '`';

export type ObjectKind = 'VIEW' | 'TRIGGER' | 'PROCEDURE' | 'FUNCTION';

/** A schema object that lives in a database rather than moving with a table. */
export interface SchemaObject {
  kind: ObjectKind;
  name: string;
  /** Its CREATE statement as SHOW CREATE prints it from inside its own database (no db prefix). */
  sql: string;
  sqlMode?: string;
  /** The session settings it was created under, which the server keeps with it. */
  characterSetClient?: string;
  collationConnection?: string;
}

export interface DatabaseObjects {
  tables: string[];
  views: SchemaObject[];
  triggers: SchemaObject[];
  routines: SchemaObject[];
}

export async function rows<T>(c: Connection, sql: string, params: unknown[] = []): Promise<T[]> {
  const [result] = await c.query(sql, params);
  return result as T[];
}

/** Tables, views, triggers and routines of `database`, with CREATE statements free of its name. */
export async function readObjects(c: Connection, database: string): Promise<DatabaseObjects> {
  await c.query(`USE ${quoteMysql(database)}`);
  const tables = await rows<{ name: string; type: string }>(
    c,
    'SELECT TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME',
    [database],
  );
  const triggers = await rows<{ name: string }>(
    c,
    'SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY EVENT_OBJECT_TABLE, ACTION_ORDER',
    [database],
  );
  const routines = await rows<{ name: string; type: 'PROCEDURE' | 'FUNCTION' }>(
    c,
    `SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS type FROM information_schema.ROUTINES
      WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE IN ('PROCEDURE', 'FUNCTION') ORDER BY ROUTINE_NAME`,
    [database],
  );
  const show = async (kind: ObjectKind, name: string, column: string): Promise<SchemaObject> => {
    const [row] = await rows<Record<string, string>>(c, `SHOW CREATE ${kind} ${quoteMysql(name)}`);
    return {
      kind,
      name,
      sql: row[column],
      sqlMode: kind === 'VIEW' ? undefined : row.sql_mode,
      characterSetClient: row.character_set_client,
      collationConnection: row.collation_connection,
    };
  };
  const out: DatabaseObjects = { tables: [], views: [], triggers: [], routines: [] };
  for (const t of tables) {
    if (t.type === 'VIEW') out.views.push(await show('VIEW', t.name, 'Create View'));
    else if (t.type !== 'SYSTEM VIEW') out.tables.push(t.name);
  }
  for (const t of triggers) out.triggers.push(await show('TRIGGER', t.name, 'SQL Original Statement'));
  for (const r of routines) out.routines.push(await show(r.type, r.name, r.type === 'PROCEDURE' ? 'Create Procedure' : 'Create Function'));
  return out;
}

/** `CREATE …` → `CREATE OR REPLACE …`: replacing in one statement, the object is never missing. */
function orReplace(sql: string): string {
  return /^\s*CREATE\s+OR\s+REPLACE\b/i.test(sql) ? sql : sql.replace(/^\s*CREATE\b/i, 'CREATE OR REPLACE');
}

/** Whether the client character set can carry `sql` as the UTF-8 text mysql2 sends. */
function canSendUnder(charset: string, sql: string): boolean {
  return /^utf8/i.test(charset) || /^[\x00-\x7f]*$/.test(sql);
}

/**
 * Creates (or replaces) the objects inside `database` under each one's own sql_mode,
 * character_set_client and collation_connection, which the server stores with the object (and
 * mysqldump writes out again), so they come back as the host made them, not as this session's
 * utf8mb4. Views may use other views, so the ones that fail are tried again while any succeeds.
 */
export async function createObjects(c: Connection, database: string, objects: SchemaObject[]): Promise<void> {
  await c.query(`USE ${quoteMysql(database)}`);
  let pending = objects;
  try {
    while (pending.length) {
      const failed: Array<{ o: SchemaObject; err: Error }> = [];
      for (const o of pending) {
        try {
          await c.query('SET SESSION sql_mode = ?', [o.sqlMode ?? '']);
          if (o.characterSetClient && o.collationConnection && canSendUnder(o.characterSetClient, o.sql)) {
            await c.query('SET SESSION character_set_client = ?, collation_connection = ?', [o.characterSetClient, o.collationConnection]);
          } else {
            await c.query('SET SESSION character_set_client = utf8mb4, collation_connection = utf8mb4_unicode_ci');
          }
          await c.query(orReplace(o.sql));
        } catch (err) {
          failed.push({ o, err: err as Error });
        }
      }
      if (failed.length === pending.length) {
        throw new Error(`creating ${failed[0].o.kind.toLowerCase()} "${failed[0].o.name}" failed: ${failed[0].err.message}`);
      }
      pending = failed.map((f) => f.o);
    }
  } finally {
    await c.query('SET SESSION character_set_client = utf8mb4, collation_connection = utf8mb4_unicode_ci, sql_mode = DEFAULT');
  }
}

export async function dropObject(c: Connection, database: string, o: Pick<SchemaObject, 'kind' | 'name'>): Promise<void> {
  await c.query(`DROP ${o.kind} IF EXISTS ${quoteMysql(database)}.${quoteMysql(o.name)}`);
}

/** Views, triggers and routines `database` holds now (names only). */
export async function currentObjectNames(c: Connection, database: string): Promise<Array<Pick<SchemaObject, 'kind' | 'name'>>> {
  return rows<Pick<SchemaObject, 'kind' | 'name'>>(
    c,
    `SELECT 'VIEW' AS kind, TABLE_NAME AS name FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?
     UNION ALL SELECT 'TRIGGER', TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?
     UNION ALL SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE IN ('PROCEDURE', 'FUNCTION')`,
    [database, database, database],
  );
}

export async function tablesIn(c: Connection, database: string): Promise<string[]> {
  const r = await rows<{ name: string }>(
    c,
    "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE NOT IN ('VIEW', 'SYSTEM VIEW')",
    [database],
  );
  return r.map((x) => x.name);
}
