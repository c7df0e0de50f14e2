/**
 * The environment of a database client tool (pg_dump, psql, mariadb-dump, mariadb): an
 * allow-list, so the app's own secrets (DB_URL, BACKUP_ARCHIVE_PASSWORD, AWS keys, webhook
 * secrets, ...) never reach a child, where any process of the same user could read them in
 * /proc/<pid>/environ. Kept: PATH (to find the tool and what it runs), the locale (LANG,
 * LANGUAGE, LC_*), TZ and TMPDIR; then the tool's own variables the caller sets. HOME is left
 * out, so no start-up file of the user's (~/.psqlrc, ~/.my.cnf) is found through it.
 */
export function toolEnv(own: Record<string, string | undefined> = {}, from: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(from)) {
    if (value !== undefined && isAllowed(key)) env[key] = value;
  }
  for (const [key, value] of Object.entries(own)) if (value !== undefined) env[key] = value;
  return env;
}

function isAllowed(key: string): boolean {
  return key === 'PATH' || key === 'LANG' || key === 'LANGUAGE' || key === 'TZ' || key === 'TMPDIR' || key.startsWith('LC_');
}
