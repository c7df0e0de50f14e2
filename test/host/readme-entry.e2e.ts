/**
 * The README's CLI entry as a host writes it (`CommandFactory.run(AppModule, { logger: new
 * CliLogger() })`, nothing else) with the same AppModule as the long-running app:
 * - a CLI process never starts timers, while the same module in a long-running process does;
 * - a failing command exits non-zero by itself (no serviceErrorHandler in the host).
 */
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { tempAppDir } from '../support/cli';

const HOST = path.resolve(__dirname, '../../dist/test/host/readme-entry.fixture.js');

describe('schedules and CLI processes', () => {
  const app = tempAppDir('nbt-cli-schedule-');
  afterAll(() => app.cleanup());

  const start = (...args: string[]) =>
    spawnSync(process.execPath, [HOST, ...args], {
      cwd: app.dir,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: app.dir,
        BACKUP_NAME: 'cli-schedule',
        BACKUP_ENCRYPTION: 'none',
        BACKUP_DATABASES: 'none',
        BACKUP_LOCAL_ROOT: path.join(app.dir, 'backups'),
        BACKUP_SCHEDULE_RUN: '0 2 * * *',
        BACKUP_FAILURE_NOTIFICATIONS: '',
        BACKUP_HEALTH_NOTIFICATIONS: '',
        BACKUP_SUCCESS_NOTIFICATIONS: '',
      },
    });

  it('the long-running process registers the BACKUP_SCHEDULE_RUN job', () => {
    const r = start('app');
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).toContain('Scheduled run at "0 2 * * *"');
  });

  it('a failing command exits non-zero with the README entry point alone (no serviceErrorHandler), its message printed once', () => {
    const r = start('backup:restore', 'nosuch.zip');
    expect(r.status).toBe(1);
    expect(r.stderr.match(/nosuch\.zip/g)?.length).toBe(1);
  });

  it('an option its parser refuses (backup:run --tries 0) exits non-zero too, its message printed once', () => {
    const r = start('backup:run', '--tries', '0');
    expect(r.status).toBe(1);
    expect(r.stderr.match(/--tries must be a whole number/g)?.length).toBe(1);
  });

  it('backup:list through CommandFactory.run of the same module starts no timer and exits 0', () => {
    const r = start('backup:list');
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
    expect(r.stdout + r.stderr).not.toContain('Scheduled run');
    expect(r.stdout).toContain('cli-schedule');
  });
});
