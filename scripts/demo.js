#!/usr/bin/env node
// `npm run demo`: the whole product on an embedded default — SQLite and the local disk.
// Creates .env on first run (with a random 48-character archive password, printed once),
// seeds the demo database and files, makes an encrypted backup and lists it.
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const envFile = path.join(root, '.env');
if (!fs.existsSync(envFile)) {
  const password = crypto.randomBytes(36).toString('base64url');
  const adminToken = crypto.randomBytes(36).toString('base64url');
  fs.writeFileSync(
    envFile,
    [
      '# Written by `npm run demo`. Keep BACKUP_ARCHIVE_PASSWORD safe: without it no backup opens.',
      'APP_NAME=demo-saas',
      'DB_URL=sqlite:storage/demo.sqlite',
      'BACKUP_DISKS=local',
      'BACKUP_LOCAL_ROOT=storage/backups',
      `BACKUP_ARCHIVE_PASSWORD=${password}`,
      'BACKUP_INCLUDE=storage/app',
      'BACKUP_TENANT_FILES=storage/app/tenants/{tenant}/**',
      '# Bearer token of the admin API and dashboard (`npm run start`, http://127.0.0.1:3000/admin/backups).',
      `BACKUP_ADMIN_TOKEN=${adminToken}`,
      '# No mail server in the demo: no notification channels.',
      'BACKUP_FAILURE_NOTIFICATIONS=',
      'BACKUP_HEALTH_NOTIFICATIONS=',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  process.stdout.write(`Created .env with a new archive password (see BACKUP_ARCHIVE_PASSWORD in ${envFile}).\n`);
}

const cli = (...args) => {
  process.stdout.write(`\n$ npm run cli -- ${args.join(' ')}\n`);
  execFileSync(process.execPath, ['--max-semi-space-size=4', path.join(root, 'dist/apps/demo/src/cli.js'), ...args], {
    cwd: root,
    stdio: 'inherit',
  });
};

try {
  cli('demo:seed');
  cli('backup:run');
  cli('backup:list');
} catch (err) {
  process.exit(err.status || 1);
}
