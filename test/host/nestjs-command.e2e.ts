/**
 * The library's commands through nestjs-command (yargs), as a host that already runs its CLI
 * with it sets them up: BackupNestjsCommandModule beside BackupModule (`schedule: true`), the
 * entry calling `CommandService.exec()`, started directly and through nestjs-command's bin.
 * Same commands, options, output and exit codes as through nest-commander (readme-entry
 * fixture); a CLI process starts no timer, the long-running process with the same module does.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { listFiles, tempAppDir } from '../support/cli';

const HOST = path.resolve(__dirname, '../../dist/test/host/nestjs-command.fixture.js');
const NEST_COMMANDER_HOST = path.resolve(__dirname, '../../dist/test/host/readme-entry.fixture.js');
const NESTJS_COMMAND_BIN = require.resolve('nestjs-command/bin/cli');

describe('the library commands through nestjs-command', () => {
  const app = tempAppDir('nbt-nestjs-command-');
  const files = path.join(app.dir, 'files');
  const backups = path.join(app.dir, 'backups');
  beforeAll(() => {
    fs.mkdirSync(files);
    fs.writeFileSync(path.join(files, 'invoice.txt'), 'invoice 42\n'.repeat(50));
  });
  afterAll(() => app.cleanup());

  const env = {
    PATH: process.env.PATH ?? '',
    HOME: app.dir,
    BACKUP_NAME: 'nestjs-command-host',
    BACKUP_ENCRYPTION: 'none',
    BACKUP_DATABASES: 'none',
    BACKUP_INCLUDE: files,
    BACKUP_LOCAL_ROOT: backups,
    BACKUP_SCHEDULE_RUN: '0 2 * * *',
    BACKUP_FAILURE_NOTIFICATIONS: '',
    BACKUP_HEALTH_NOTIFICATIONS: '',
    BACKUP_SUCCESS_NOTIFICATIONS: '',
  };
  const start = (entry: string, args: string[], extraEnv: Record<string, string> = {}) =>
    spawnSync(process.execPath, [entry, ...args], { cwd: app.dir, encoding: 'utf8', timeout: 60_000, env: { ...env, ...extraEnv } });
  /** The host's own entry calling exec(). */
  const cli = (...args: string[]) => start(HOST, args);
  /** `npx nestjs-command <cmd>`: its bin loads the entry named by CLI_PATH. */
  const npxNestjsCommand = (...args: string[]) => start(NESTJS_COMMAND_BIN, args, { CLI_PATH: HOST });

  it('the main entry point loads neither nestjs-command nor yargs (a web process does not)', () => {
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        "require('nest-backup'); console.log(Object.keys(require.cache).filter((f) => /[\\\\/]node_modules[\\\\/](nestjs-command|yargs)[\\\\/]/.test(f)).length)",
      ],
      { cwd: path.resolve(__dirname, '../..'), encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('0');
  });

  it('the long-running process with the same module still registers the BACKUP_SCHEDULE_RUN job', () => {
    const r = cli('app');
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).toContain('Scheduled run at "0 2 * * *"');
  });

  it('backup:run stores an archive, exits 0 and starts no timer', () => {
    const r = cli('backup:run');
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
    expect(r.stdout).toMatch(/✔ local: nestjs-command-host\/\S+\.zip/);
    expect(r.stdout + r.stderr).not.toContain('Scheduled run');
    expect(listFiles(backups).filter((f) => f.endsWith('.zip'))).toHaveLength(1);
  });

  it('backup:list and backup:monitor through the nestjs-command bin: exit 0, the backup listed, no timer', () => {
    const list = npxNestjsCommand('backup:list');
    expect(list.status).toBe(0);
    expect(list.stdout).toContain('nestjs-command-host');
    expect(list.stdout).toMatch(/\|\s+1 \|/);
    const monitor = npxNestjsCommand('backup:monitor');
    expect(monitor.status).toBe(0);
    for (const r of [list, monitor]) expect(r.stdout + r.stderr).not.toContain('Scheduled run');
  });

  it('a failing command exits 1 with its message once, as through nest-commander', () => {
    const viaYargs = cli('backup:restore', 'nosuch.zip');
    const viaCommander = start(NEST_COMMANDER_HOST, ['backup:restore', 'nosuch.zip']);
    expect(viaYargs.status).toBe(1);
    expect(viaYargs.stderr.match(/nosuch\.zip/g)?.length).toBe(1);
    expect(viaYargs.status).toBe(viaCommander.status);
    expect(viaYargs.stdout + viaYargs.stderr).not.toContain('Scheduled run');
  });

  it("an option's parser still checks its value (--tries 0): exit 1, the message and its hint", () => {
    const r = cli('backup:run', '--tries', '0');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--tries must be a whole number of at least 1 (got "0")');
    expect(r.stderr).toContain('→ e.g. --tries 3');
  });

  it("backup:restore --help lists the same options and argument as nest-commander's help", () => {
    const flags = (help: string) => [...new Set(help.match(/--[a-z][a-z-]+/g))].filter((f) => f !== '--help' && f !== '--version').sort();
    const viaYargs = cli('backup:restore', '--help');
    const viaCommander = start(NEST_COMMANDER_HOST, ['backup:restore', '--help']);
    expect(viaYargs.status).toBe(0);
    expect(flags(viaYargs.stdout)).toEqual(flags(viaCommander.stdout));
    expect(flags(viaYargs.stdout)).toContain('--no-safety-backup');
    expect(viaYargs.stdout).toContain('Verify a backup, then restore its databases and files');
    expect(viaYargs.stdout).toMatch(/backup\s+File name \(2026-11-21-02-00-00\.zip\)/);
  });

  it('an option nest-commander does not know is refused (exit 1), not ignored', () => {
    const r = cli('backup:list', '--bogus');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Unknown argument: bogus');
  });
});
