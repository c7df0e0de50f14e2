/**
 * The 0600 password files a killed run leaves behind (its pid in the folder's name) are removed
 * by the next run of any command, which says so; the files of a live process and folders that
 * are not the library's stay.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, tempAppDir } from '../support/cli';
import { baseEnv } from '../faults/faults.fixtures';

function leftover(dir: string, name: string): string {
  const folder = join(dir, name);
  mkdirSync(folder, { mode: 0o700 });
  writeFileSync(join(folder, 'pgpass'), '*:*:*:*:Leftover-secret\n', { mode: 0o600 });
  return folder;
}

describe('password files left by a killed run', () => {
  const app = tempAppDir('nbt-secret-files-');
  const tmp = mkdtempSync(join(tmpdir(), 'nbt-secret-tmp-'));
  afterAll(() => {
    app.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("are removed by the next command (backup:list), which says so; a live owner's and foreign folders stay", async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const gone = leftover(tmp, `nest-backup-secret-${dead}-AbC123`);
    const live = leftover(tmp, `nest-backup-secret-${process.pid}-XyZ789`);
    const foreign = leftover(tmp, 'someone-elses-folder');

    const listed = await runCli(['backup:list'], baseEnv('secret-files', { TMPDIR: tmp }), app.dir);
    expect(listed.code).toBe(0);
    expect(existsSync(gone)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(foreign)).toBe(true);
    expect(listed.stdout + listed.stderr).toMatch(/Removed 1 password file folder\(s\) left by killed runs: .*AbC123/);
    expect(readdirSync(tmp).sort()).toEqual([`nest-backup-secret-${process.pid}-XyZ789`, 'someone-elses-folder']);
  });
});
