/**
 * An export's own password never comes from the command line (where `ps` and the shell
 * history show it): `backup:tenant-export --password <value>` is refused with the reason and
 * what to use; BACKUP_TENANT_EXPORT_PASSWORD is used; `--password` alone asks on a terminal and
 * is refused without one.
 */
import { join } from 'node:path';
import { ZipReader } from '../../libs/backup/src/archive';
import { listFiles, runCli, tempAppDir } from '../support/cli';

const ENV = {
  APP_NAME: 'cli-export-pw',
  BACKUP_ARCHIVE_PASSWORD: 'cli-export-pw-archive-password-0123456789',
  BACKUP_INCLUDE: 'storage/app',
  BACKUP_FAILURE_NOTIFICATIONS: '',
  BACKUP_HEALTH_NOTIFICATIONS: '',
  BACKUP_SUCCESS_NOTIFICATIONS: '',
};
const EXPORT_PASSWORD = 'tenant-export-own-password-abcdef-0123456789';

describe('backup:tenant-export password', () => {
  let app: ReturnType<typeof tempAppDir>;
  let env: Record<string, string>;
  const exports = () => listFiles(app.dir).filter((f) => /\/tenants\/3\/[\d-]+\.zip$/.test(f));

  beforeAll(async () => {
    app = tempAppDir('nbt-export-pw-');
    env = { ...ENV, DB_URL: `sqlite:${join(app.dir, 'demo.sqlite')}` };
    expect((await runCli(['demo:seed', '--tenants', '4', '--rows', '2'], env, app.dir)).code).toBe(0);
  });
  afterAll(() => app?.cleanup());

  it('refuses --password with a value, says why and what to use, and exports nothing', async () => {
    const run = await runCli(['backup:tenant-export', '3', '--password', EXPORT_PASSWORD], env, app.dir);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/--password takes no value: a password on the command line is visible to every user in ps/);
    expect(run.stderr).toMatch(/Set BACKUP_TENANT_EXPORT_PASSWORD/);
    expect(run.stdout + run.stderr).not.toContain(EXPORT_PASSWORD);
    expect(exports()).toEqual([]);
  });

  it('refuses --password alone without a terminal to ask on', async () => {
    const run = await runCli(['backup:tenant-export', '3', '--password'], env, app.dir);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/--password asks on the terminal, but there is none/);
    expect(exports()).toEqual([]);
  });

  it('encrypts with BACKUP_TENANT_EXPORT_PASSWORD', async () => {
    const before = exports();
    const run = await runCli(['backup:tenant-export', '3'], { ...env, BACKUP_TENANT_EXPORT_PASSWORD: EXPORT_PASSWORD }, app.dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/AES-256/);
    const added = exports().filter((f) => !before.includes(f));
    expect(added).toHaveLength(1);
    const [file] = added;
    const zip = await ZipReader.open(join(app.dir, file), { password: EXPORT_PASSWORD });
    try {
      expect((await zip.verify()).ok).toBe(true);
    } finally {
      await zip.close();
    }
  });
});
