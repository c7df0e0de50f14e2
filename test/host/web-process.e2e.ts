/**
 * A web process that imports only BackupModule loads no CLI package: neither nest-commander nor
 * nestjs-command (nor commander or yargs) is in its require.cache after it booted and ran a
 * backup. The CLI module of the README, in contrast, loads nest-commander and not
 * nestjs-command, so the check sees a CLI package when one is there. (The packed-install check,
 * scripts/pack-check.js, also boots a web host in an app where nest-commander is not installed.)
 */
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { tempAppDir } from '../support/cli';

const HOST = path.resolve(__dirname, '../../dist/test/host/web-process.fixture.js');

describe('a web process and the CLI packages', () => {
  const app = tempAppDir('nbt-web-process-');
  afterAll(() => app.cleanup());

  const start = (mode: 'web' | 'cli') => {
    const r = spawnSync(process.execPath, [HOST, mode], {
      cwd: app.dir,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: app.dir,
        TMPDIR: app.dir,
        BACKUP_NAME: `web-process-${mode}`,
        BACKUP_ENCRYPTION: 'none',
        BACKUP_DATABASES: 'none',
        BACKUP_INCLUDE: '.',
        BACKUP_LOCAL_ROOT: path.join(app.dir, 'backups'),
        BACKUP_FAILURE_NOTIFICATIONS: '',
        BACKUP_HEALTH_NOTIFICATIONS: '',
        BACKUP_SUCCESS_NOTIFICATIONS: '',
      },
    });
    const line = (tag: string) =>
      r.stdout
        .split('\n')
        .find((l) => l.startsWith(`${tag} `))
        ?.slice(tag.length + 1);
    return {
      status: r.status,
      stderr: r.stderr,
      run: line('RUN'),
      loaded: JSON.parse(line('LOADED') ?? 'null') as string[] | null,
      queue: JSON.parse(line('QUEUE') ?? 'null') as string[] | null,
    };
  };

  it('BackupModule alone: the app boots, backs up, and has loaded neither nest-commander nor nestjs-command', () => {
    const r = start('web');
    expect({ status: r.status, run: r.run }).toEqual({ status: 0, run: 'ok' });
    expect(r.loaded).toEqual([]);
    // Without BACKUP_QUEUE_REDIS_URL the queue's optional peers stay unloaded (installed or not).
    expect(r.queue).toEqual([]);
  });

  it('the CLI module (BackupCommandsModule from nest-backup/nest-commander) loads nest-commander, not nestjs-command', () => {
    const r = start('cli');
    expect({ status: r.status, run: r.run }).toEqual({ status: 0, run: 'ok' });
    expect(r.loaded).toEqual(expect.arrayContaining(['commander', 'nest-commander']));
    expect(r.loaded).not.toContain('nestjs-command');
    expect(r.loaded).not.toContain('yargs');
    expect(r.queue).toEqual([]);
  });
});
