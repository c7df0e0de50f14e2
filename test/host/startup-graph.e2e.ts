/**
 * What a process loads when it imports the library (every CLI command does, before any work):
 * none of the optional or feature-only packages, which are loaded when first used — the AWS SDK
 * (an S3 disk), BullMQ (BACKUP_QUEUE_REDIS_URL), nodemailer (a mail), the database drivers,
 * pg-copy-streams (a PostgreSQL tenant export), the admin API's HTTP side
 * (BackupAdminModule.register) — and no class-validator. Start-up time itself is
 * measured by `npm run bench:startup`, not asserted here. Runs the compiled library
 * (npm test builds first).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** The packages and library files in require.cache after running `script` in a fresh Node. */
function loadedBy(script: string): { packages: string[]; adminFiles: string[] } {
  const report = `
    const files = Object.keys(require.cache);
    const packages = new Set();
    for (const f of files) {
      const m = /node_modules[\\\\/]((?:@[^\\\\/]+[\\\\/])?[^\\\\/]+)[\\\\/]/.exec(f.slice(f.lastIndexOf('node_modules')));
      if (m) packages.add(m[1].replace(/\\\\/g, '/'));
    }
    const adminFiles = files.filter((f) => /libs[\\\\/]backup[\\\\/]dist[\\\\/]admin[\\\\/]/.test(f)).map((f) => f.replace(/.*[\\\\/]admin[\\\\/]/, ''));
    console.log(JSON.stringify({ packages: [...packages].sort(), adminFiles: adminFiles.sort() }));`;
  const r = spawnSync(process.execPath, ['-e', `${script};${report}`], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { packages: string[]; adminFiles: string[] };
}

const LOADED_WHEN_USED = [
  '@aws-sdk/client-s3',
  'bullmq',
  'ioredis',
  'nodemailer',
  'pg',
  'mysql2',
  'better-sqlite3',
  'typeorm',
  'pg-copy-streams',
  'cron',
  'class-validator',
  'validator',
  'libphonenumber-js',
];

describe('importing the library', () => {
  it("loads no optional or feature-only package, and not the admin API's HTTP side", () => {
    const { packages, adminFiles } = loadedBy("require('reflect-metadata'); require('nest-backup'); require('nest-backup/nest-commander')");
    expect(packages.filter((p) => LOADED_WHEN_USED.includes(p))).toEqual([]);
    expect(packages).toEqual(expect.arrayContaining(['@nestjs/common', '@nestjs/core', 'nest-commander']));
    expect(adminFiles.filter((f) => /controller|guard|interceptor|queries|openapi|dashboard|worker/.test(f))).toEqual([]);
  });

  it("loads the admin API's HTTP side with BackupAdminModule.register()", () => {
    const { adminFiles } = loadedBy("require('reflect-metadata'); require('nest-backup').BackupAdminModule.register({ path: 'admin' })");
    expect(adminFiles).toEqual(
      expect.arrayContaining([
        'admin-api.controller.js',
        'admin-access.guard.js',
        'admin-response.interceptor.js',
        'dashboard/dashboard.controller.js',
        'openapi.document.js',
      ]),
    );
  });
});
