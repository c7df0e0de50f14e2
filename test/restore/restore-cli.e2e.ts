/**
 * The two commands as an operator runs them (the compiled demo CLI, SQLite, local disk, no
 * terminal): exit codes, the refusal without --force, JSON output, and the printed recovery time.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempAppDir } from '../support/cli';
import { tableContents } from '../support/databases';

const ENV = {
  APP_NAME: 'cli-restore',
  BACKUP_ARCHIVE_PASSWORD: 'cli-restore-password-0123456789-abcdefgh',
  BACKUP_INCLUDE: 'storage/app',
  BACKUP_FAILURE_NOTIFICATIONS: '',
  BACKUP_HEALTH_NOTIFICATIONS: '',
  BACKUP_SUCCESS_NOTIFICATIONS: '',
};

describe('backup:restore and backup:verify on the command line', () => {
  it('verifies with a test restore, refuses without --force, restores with it, and exits non-zero on bad input', async () => {
    const app = tempAppDir('nbt-restore-cli-');
    try {
      const dbFile = join(app.dir, 'app.db');
      const env = { ...ENV, DB_URL: `sqlite:${dbFile}` };
      expect((await runCli(['demo:seed', '--tenants', '2', '--rows', '3'], env, app.dir)).code).toBe(0);
      const run = await runCli(['backup:run'], env, app.dir);
      expect(run.code).toBe(0);
      const seeded = await tableContents({ name: 'default', driver: 'sqlite', database: dbFile });

      const verify = await runCli(['backup:verify', '--latest', '--test-restore', '--json'], env, app.dir);
      expect(verify.code).toBe(0);
      const result = JSON.parse(verify.stdout);
      expect(result.ok).toBe(true);
      expect(result.backups[0].testRestore[0]).toMatchObject({ ok: true, scratchDropped: true });

      // No terminal and no --force: refused, exit 1, the database untouched.
      writeFileSync(join(app.dir, 'marker'), '');
      const refused = await runCli(['backup:restore', '--latest', '--only-db'], env, app.dir);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/not confirmed, nothing was changed[\s\S]*--force/);
      expect(await tableContents({ name: 'default', driver: 'sqlite', database: dbFile })).toEqual(seeded);

      const unknown = await runCli(['backup:restore', '2001-01-01-00-00-00.zip', '--force'], env, app.dir);
      expect(unknown.code).not.toBe(0);
      expect(unknown.stderr).toMatch(
        /No backup "cli-restore\/2001-01-01-00-00-00\.zip" on disk "local"[\s\S]*newest backups there are: \d{4}-/,
      );

      const restored = await runCli(['backup:restore', '--latest', '--only-db', '--force'], env, app.dir);
      expect(restored.code).toBe(0);
      expect(restored.stdout).toMatch(/Safety backup of the previous state: cli-restore\/pre-restore-/);
      expect(restored.stdout).toMatch(/Measured recovery time: \d+\.\d s/);
      expect(await tableContents({ name: 'default', driver: 'sqlite', database: dbFile })).toEqual(seeded);

      // A damaged archive: verify exits 1 and says which entry.
      const key = JSON.parse(verify.stdout).backups[0].backupName as string;
      const path = join(app.dir, 'storage', 'backups', key);
      const bytes = readFileSync(path);
      bytes[200] ^= 0xff;
      writeFileSync(path, bytes);
      const damaged = await runCli(['backup:verify', key.split('/')[1]], env, app.dir);
      expect(damaged.code).toBe(1);
      expect(damaged.stdout).toMatch(/✘ .* fault: Archive entry "db-dumps\/sqlite-app\.sql" is corrupt/s);
    } finally {
      app.cleanup();
    }
  });
});
