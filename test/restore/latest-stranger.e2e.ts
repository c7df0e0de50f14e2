/**
 * backup:restore --latest must never pick a stranger: a 3-byte object named for 2099 beside a
 * real backup sorts first by name, but the catalog calls it future-dated (and too small), so the
 * restore plans from the real archive (the demo CLI, SQLite, local disk, --dry-run).
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempAppDir } from '../support/cli';

const ENV = {
  APP_NAME: 'latest-stranger',
  BACKUP_ARCHIVE_PASSWORD: 'latest-stranger-password-0123456789-abcd',
  BACKUP_INCLUDE: 'storage/app',
  BACKUP_FAILURE_NOTIFICATIONS: '',
  BACKUP_HEALTH_NOTIFICATIONS: '',
  BACKUP_SUCCESS_NOTIFICATIONS: '',
};

describe('backup:restore --latest beside a stranger', () => {
  it('a 3-byte 2099-01-01-00-00-00.zip beside a real backup: --latest --dry-run picks the real one', async () => {
    const app = tempAppDir('nbt-latest-stranger-');
    try {
      const env = { ...ENV, DB_URL: `sqlite:${join(app.dir, 'app.db')}` };
      expect((await runCli(['demo:seed', '--tenants', '1', '--rows', '2'], env, app.dir)).code).toBe(0);
      expect((await runCli(['backup:run'], env, app.dir)).code).toBe(0);
      const folder = join(app.dir, 'storage', 'backups', 'latest-stranger');
      const [real] = readdirSync(folder);
      writeFileSync(join(folder, '2099-01-01-00-00-00.zip'), 'abc');

      const dry = await runCli(['backup:restore', '--latest', '--dry-run'], env, app.dir);
      expect(dry.stderr).not.toMatch(/2099/);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toContain(`Backup latest-stranger/${real} on local`);
      expect(dry.stdout).toMatch(/Dry run: nothing was changed/);
    } finally {
      app.cleanup();
    }
  });
});
