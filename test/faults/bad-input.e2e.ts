/**
 * Fault class "bad-input": everything a user can type wrong, through the compiled demo CLI on a
 * SQLite app with one backup: invalid environment values, unknown disks, unknown backup names,
 * a wrong archive password, tenant ids crafted as SQL, paths with "..". Each must exit non-zero
 * with an error that names the problem, and change nothing: every file of the app (database,
 * uploads, backups) keeps its bytes and no file appears, apart from the audit trail's records.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CliResult, listFiles, runCli, tempAppDir } from '../support/cli';
import { tableContents } from '../support/databases';
import { baseEnv, faultCase, faultClass } from './faults.fixtures';

const tally = faultClass('bad-input');

describe('fault class bad-input: clear errors, non-zero exit codes, nothing changed', () => {
  let app: ReturnType<typeof tempAppDir>;
  let env: Record<string, string>;
  let backupName: string;

  beforeAll(async () => {
    app = tempAppDir('nest-backup-bad-input-');
    env = baseEnv('bad-input', { BACKUP_INCLUDE: 'storage/app' });
    expect((await runCli(['demo:seed', '--tenants', '3', '--rows', '3'], env, app.dir)).code).toBe(0);
    const run = await runCli(['backup:run'], env, app.dir);
    expect(run.code).toBe(0);
    backupName = path.basename(/✔ local: (\S+\.zip)/.exec(run.stdout)![1]);
  });
  afterAll(() => app?.cleanup());

  /** Every file of the app with its SHA-256, the audit trail's own records left out. */
  function fingerprint(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const f of listFiles(app.dir)) {
      if (f.split('/').some((seg) => seg === 'audit' || seg === '.audit')) continue;
      out[f] = createHash('sha256')
        .update(fs.readFileSync(path.join(app.dir, f)))
        .digest('hex');
    }
    return out;
  }

  const sqlite = () => ({ name: 'default', driver: 'sqlite' as const, database: path.join(app.dir, 'storage/demo.sqlite') });

  /** Runs each command, expects exit != 0 and `message` in its output, and no change anywhere. */
  async function expectRefused(runs: Array<{ args: string[]; env?: Record<string, string>; message: RegExp }>): Promise<CliResult[]> {
    const files = fingerprint();
    const rows = await tableContents(sqlite());
    const results: CliResult[] = [];
    for (const r of runs) {
      const result = await runCli(r.args, { ...env, ...r.env }, app.dir);
      expect({ args: r.args, code: result.code === 0 ? 0 : 'non-zero' }).toEqual({ args: r.args, code: 'non-zero' });
      expect(result.stdout + result.stderr).toMatch(r.message);
      results.push(result);
    }
    expect(fingerprint()).toEqual(files);
    expect(await tableContents(sqlite())).toEqual(rows);
    expect(fs.existsSync(path.join(app.dir, '..', 'out-bad-input'))).toBe(false);
    return results;
  }

  faultCase(tally, 'invalid environment values: one error naming every bad variable, exit 1', async () => {
    const [run] = await expectRefused([
      {
        args: ['backup:run'],
        env: { BACKUP_COMPRESSION_LEVEL: '12', BACKUP_TRIES: 'abc', BACKUP_TIMEOUT: '-5', BACKUP_S3_PART_SIZE_MB: '2' },
        message: /Backup configuration is invalid/,
      },
      { args: ['backup:list'], env: { BACKUP_ARCHIVE_PASSWORD: 'too-short' }, message: /BACKUP_ARCHIVE_PASSWORD[^\n]*32 characters/ },
      { args: ['backup:run'], env: { BACKUP_ARCHIVE_PASSWORD: '' }, message: /BACKUP_ARCHIVE_PASSWORD is not set/ },
    ]);
    expect(run.code).toBe(1);
    for (const name of ['BACKUP_COMPRESSION_LEVEL', 'BACKUP_TRIES', 'BACKUP_TIMEOUT', 'BACKUP_S3_PART_SIZE_MB'])
      expect(run.stderr).toContain(name);
  });

  faultCase(tally, 'unknown disks (BACKUP_DISKS=local,ftp, --only-to-disk nowhere, --disk nowhere): "Unknown disk", exit 1', async () => {
    const results = await expectRefused([
      { args: ['backup:run'], env: { BACKUP_DISKS: 'local,ftp' }, message: /Unknown disk "ftp"/ },
      { args: ['backup:run', '--only-to-disk', 'nowhere'], message: /Unknown disk "nowhere"[\s\S]*Known disks: local/ },
      { args: ['backup:restore', '--latest', '--disk', 'nowhere', '--force'], message: /Unknown disk "nowhere"/ },
      { args: ['backup:verify', '--latest', '--disk', 'nowhere'], message: /Unknown disk "nowhere"/ },
    ]);
    for (const r of results) expect(r.code).toBe(1);
  });

  faultCase(tally, 'unknown backup names: "No backup ..." with the names that exist, exit 1', async () => {
    const results = await expectRefused([
      {
        args: ['backup:restore', '2099-01-01-00-00-00.zip', '--force'],
        message: new RegExp(`No backup "bad-input/2099-01-01-00-00-00\\.zip" on disk "local"[\\s\\S]*${backupName.replace(/\./g, '\\.')}`),
      },
      { args: ['backup:verify', 'nope.zip'], message: /No backup "bad-input\/nope\.zip"/ },
      {
        args: ['backup:restore', '../bad-input/x.zip', '--force'],
        message: /invalid object key "\.\.\/bad-input\/x\.zip"[\s\S]*no empty, "\." or "\.\." segments/,
      },
    ]);
    for (const r of results) expect(r.code).toBe(1);
  });

  faultCase(
    tally,
    'a wrong archive password: verify and a forced restore say "Wrong password", no safety backup, nothing restored',
    async () => {
      const wrong = { BACKUP_ARCHIVE_PASSWORD: 'not-the-password-the-backup-was-made-with' };
      const results = await expectRefused([
        { args: ['backup:verify', '--latest'], env: wrong, message: /Wrong password for the archive/ },
        { args: ['backup:restore', '--latest', '--force'], env: wrong, message: /Wrong password for the archive/ },
      ]);
      for (const r of results) expect(r.code).toBe(1);
    },
  );

  faultCase(tally, 'tenant ids crafted as SQL: refused as not a valid id, the tenants table intact', async () => {
    const results = await expectRefused([
      {
        args: ['backup:tenant-export', '3; DROP TABLE tenants'],
        message: /"3; DROP TABLE tenants" is not a valid tenant id[\s\S]*nothing was read or changed/,
      },
      { args: ['backup:tenant-export', '1 OR 1=1'], message: /"1 OR 1=1" is not a valid tenant id/ },
      { args: ['backup:tenant-export', "1' OR '1'='1"], message: /is not a valid tenant id/ },
      {
        args: ['backup:tenant-restore', '2; DELETE FROM users', '--from-backup', 'latest', '--force'],
        message: /is not a valid tenant id/,
      },
    ]);
    for (const r of results) expect(r.code).toBe(1);
    expect((await tableContents(sqlite())).tenants).toHaveLength(3);
  });

  faultCase(tally, 'paths with "..": --files-to ../out and --filename ../x (and a/b) refused before anything is written', async () => {
    const results = await expectRefused([
      {
        args: ['backup:restore', '--latest', '--force', '--files-to', '../out-bad-input'],
        message: /--files-to "\.\.\/out-bad-input" contains a "\.\." segment; nothing was changed/,
      },
      {
        args: ['backup:restore', '--latest', '--force', '--only-files', '--files-to', 'restored/../../out-bad-input'],
        message: /contains a "\.\." segment/,
      },
      { args: ['backup:run', '--filename', '../x'], message: /--filename "\.\.\/x" must be a plain file name/ },
      { args: ['backup:run', '--filename', 'a/b'], message: /--filename "a\/b" must be a plain file name/ },
    ]);
    for (const r of results) expect(r.code).toBe(1);
    expect(fs.existsSync(path.join(app.dir, '..', 'x.zip'))).toBe(false);
  });
});
