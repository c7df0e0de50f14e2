/**
 * Start-up of the demo CLI (issue 20): the wall and CPU time of commands that do almost nothing,
 * so what is measured is Node, Nest, TypeORM and the library loading and wiring up. The demo
 * runs on a seeded SQLite file and the local disk in a temporary folder; every command runs
 * BENCH_REPEAT times (default 10), the commands taking turns; the table shows medians.
 *
 *   npm run bench:startup
 *   BENCH_REPEAT=20 npm run bench:startup
 *   BENCH_STARTUP_BASELINE=/other/checkout/dist/apps/demo/src/cli.js npm run bench:startup
 *       (the other build too, the two alternating, so a loaded machine slows both alike)
 *   BENCH_PROFILE=1 npm run bench:startup   (then 3 runs of each under a require timer:
 *       load time per package, medians)
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { median } from './pipeline/report';
import { saveResults } from './pipeline/results';
import { CLI_NODE_FLAGS } from './pipeline/runs';

const REPO = path.resolve(__dirname, '../..');
const CLI = path.join(REPO, 'dist/apps/demo/src/cli.js');
const TIMER = path.join(__dirname, 'startup/require-timer.js');
const CPU_TIME = path.join(__dirname, 'startup/cpu-time.js');

/** What is timed; `node -e 0` is Node's own start, the floor under every command. */
const COMMANDS: { title: string; args: string[]; bare?: boolean }[] = [
  { title: 'node -e 0', args: ['-e', '0'], bare: true },
  { title: 'backup:run --disable-notifications', args: ['backup:run', '--disable-notifications'] },
  { title: 'backup:list', args: ['backup:list'] },
  { title: '--help', args: ['--help'] },
];

const log = (m: string) => process.stdout.write(`${m}\n`);

function repeat(): number {
  const raw = process.env.BENCH_REPEAT ?? '10';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_REPEAT must be a whole number ≥ 1 (got "${raw}")`);
  return n;
}

function demoEnv(dir: string, password: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: path.join(dir, 'tmp'),
    APP_NAME: 'startup-bench',
    DB_URL: `sqlite:${path.join(dir, 'demo.sqlite')}`,
    BACKUP_DISKS: 'local',
    BACKUP_LOCAL_ROOT: path.join(dir, 'backups'),
    BACKUP_ARCHIVE_PASSWORD: password,
    BACKUP_INCLUDE: 'storage/app',
    BACKUP_FAILURE_NOTIFICATIONS: '',
    BACKUP_HEALTH_NOTIFICATIONS: '',
  };
}

/**
 * Spawn to exit (wall) and the process's own CPU time, in ms; a failed command stops the bench
 * (a fast failure is no start-up figure).
 */
function timed(
  cli: string,
  args: string[],
  bare: boolean,
  dir: string,
  env: NodeJS.ProcessEnv,
  preload: string[] = [],
): { wall: number; cpu: number } {
  const cpuFile = path.join(dir, 'tmp', 'cpu-time');
  const argv = ['-r', CPU_TIME, ...(bare ? args : [...CLI_NODE_FLAGS, ...preload, cli, ...args])];
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, argv, { cwd: dir, env: { ...env, CPU_TIME_OUT: cpuFile }, encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${cli} ${args.join(' ')} exited ${r.status}: ${r.stderr || r.stdout}`);
  return { wall, cpu: Number(fs.readFileSync(cpuFile, 'utf8')) };
}

interface Profile {
  uptimeMs: number;
  packages: Record<string, { ms: number; files: number }>;
}

/** Per-package load times, medians of `runs` runs under the require timer. */
function profile(cli: string, args: string[], dir: string, env: NodeJS.ProcessEnv, runs = 3): Profile {
  const out = path.join(dir, 'tmp', 'require-timer.json');
  const all: Profile[] = [];
  for (let i = 0; i < runs; i++) {
    timed(cli, args, false, dir, { ...env, REQUIRE_TIMER_OUT: out }, ['-r', TIMER]);
    all.push(JSON.parse(fs.readFileSync(out, 'utf8')) as Profile);
  }
  const names = new Set(all.flatMap((p) => Object.keys(p.packages)));
  const packages: Profile['packages'] = {};
  for (const name of names) {
    packages[name] = {
      ms: median(all.map((p) => p.packages[name]?.ms ?? 0)),
      files: Math.max(...all.map((p) => p.packages[name]?.files ?? 0)),
    };
  }
  return { uptimeMs: median(all.map((p) => p.uptimeMs)), packages };
}

function renderProfile(title: string, p: Profile): string {
  const rows = Object.entries(p.packages).sort((a, b) => b[1].ms - a[1].ms);
  const sum = (pick: (name: string) => boolean) => rows.filter(([n]) => pick(n)).reduce((s, [, v]) => s + v.ms, 0);
  const lib = sum((n) => n.startsWith('nest-backup/'));
  const lines = [
    `${title}: ${p.uptimeMs.toFixed(0)} ms to exit, ${sum(() => true).toFixed(0)} ms loading ${rows.reduce((s, [, v]) => s + v.files, 0)} files` +
      ` (the library's own files ${lib.toFixed(0)} ms)`,
    ...rows.slice(0, 15).map(([n, v]) => `  ${v.ms.toFixed(1).padStart(7)} ms ${String(v.files).padStart(4)} files  ${n}`),
  ];
  return lines.join('\n');
}

function main(): void {
  const startedAt = new Date().toISOString();
  const loadAtStart = os.loadavg();
  const n = repeat();
  const baseline = process.env.BENCH_STARTUP_BASELINE ? path.resolve(process.env.BENCH_STARTUP_BASELINE) : undefined;
  const builds = baseline
    ? [
        { name: 'baseline', cli: baseline },
        { name: 'this build', cli: CLI },
      ]
    : [{ name: 'this build', cli: CLI }];
  for (const b of builds) if (!fs.existsSync(b.cli)) throw new Error(`${b.cli} not found (npm run build first)`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nb-startup-'));
  fs.mkdirSync(path.join(dir, 'tmp'));
  try {
    // A throwaway password: the archives are deleted with the folder.
    const env = demoEnv(dir, randomBytes(36).toString('base64url'));
    timed(CLI, ['demo:seed'], false, dir, env);
    const times = new Map<string, { wall: number; cpu: number }[]>();
    for (let round = 0; round < n; round++) {
      for (const c of COMMANDS) {
        // The builds take turns, starting with a different one each round.
        const order = round % 2 ? [...builds].reverse() : builds;
        for (const b of c.bare ? builds.slice(0, 1) : order) {
          const key = `${b.name}\t${c.title}`;
          times.set(key, [...(times.get(key) ?? []), timed(b.cli, c.args, !!c.bare, dir, env)]);
        }
      }
    }
    const stats = (xs: number[]) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), runs: xs });
    const rows = COMMANDS.map((c) => {
      const per = builds.map((b) => times.get(`${b.name}\t${c.title}`) ?? []);
      return {
        command: c.title,
        ms: per.map((xs) => (xs.length ? { wall: stats(xs.map((x) => x.wall)), cpu: stats(xs.map((x) => x.cpu)) } : undefined)),
      };
    });
    log(
      `Start-up, ${n} runs each, medians in ms: wall (min–max) / CPU; node ${process.version}, flags ${CLI_NODE_FLAGS.join(' ') || '(none)'}, load ${loadAtStart[0].toFixed(2)} at the start`,
    );
    log(`| command | ${builds.map((b) => b.name).join(' | ')} |`);
    log(`|---|${builds.map(() => '--:').join('|')}|`);
    for (const r of rows) {
      log(
        `| ${r.command} | ${r.ms.map((m) => (m ? `${m.wall.median.toFixed(0)} (${m.wall.min.toFixed(0)}–${m.wall.max.toFixed(0)}) / ${m.cpu.median.toFixed(0)}` : '')).join(' | ')} |`,
      );
    }
    const profiles: Record<string, Profile> = {};
    if (process.env.BENCH_PROFILE === '1') {
      for (const b of builds) {
        for (const c of COMMANDS.filter((x) => !x.bare)) {
          const p = profile(b.cli, c.args, dir, env);
          profiles[`${b.name}: ${c.title}`] = p;
          log(`\n${renderProfile(`${b.name}, ${c.title}`, p)}`);
        }
      }
    }
    const saved = saveResults('startup', startedAt, {
      node: process.version,
      cliNodeFlags: CLI_NODE_FLAGS,
      repeat: n,
      builds,
      rows,
      profiles,
      loadAverageAtStart: loadAtStart,
    });
    log(`\nSaved ${saved}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
