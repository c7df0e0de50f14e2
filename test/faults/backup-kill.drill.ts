/**
 * The backup kill drill: `backup:run` of a SQLite app with thousands of small uploads and a few
 * large ones (the files the archive opens itself, on its worker), killed with SIGKILL at a random
 * moment of its run, round after round. After every kill, each `*.zip` in the backup folder is a
 * complete archive (7-Zip tests it with the password): a killed run leaves at most its own
 * temporary `.part`, never a `.zip` under a backup's name. A last run completes, removes what the
 * killed runs left, is listed with the others, and its archive holds every upload byte for byte.
 * A few rounds run in `npm test` (backup-kill.e2e.ts), the full count with `npm run drill:backup-kill`.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { extractWith7z, testWith7z } from '../support/seven-zip';

const PASSWORD = 'backup-kill-drill-password-0123456789';
const NAME = 'kill-drill';

export interface BackupKillCounts {
  rounds: number;
  /** Killed while `backup:run` was still running. */
  killedMidRun: number;
  /** Finished before its kill came (the random moment fell after the end). */
  finishedBeforeKill: number;
  /** Archives tested with 7-Zip after the kills (every `.zip` the folder held), and how many failed. */
  zipsTested: number;
  zipsBroken: number;
  /** The most `.part` files the folder held after a kill. */
  mostPartsAfterKill: number;
  /** The last, unkilled run: exit 0, no `.part` left, listed, every upload byte-identical. */
  lastRunOk: boolean;
  uploadsCompared: number;
  problems: string[];
}

export interface BackupKillOptions {
  rounds: number;
  /** The compiled demo CLI. */
  cli: string;
  /** Small uploads in the tree (default 3,000), beside three of 2 MiB. */
  uploads?: number;
  log: (line: string) => void;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

function runCli(
  cli: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
  killAfterMs?: number,
): Promise<Run & { killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let killed = false;
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer =
      killAfterMs === undefined
        ? undefined
        : setTimeout(() => {
            killed = child.exitCode === null && child.signalCode === null;
            child.kill('SIGKILL');
          }, killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, output, killed });
    });
  });
}

/** Small uploads, half text and half random, in ten folders; three large ones (streamed). */
function writeTree(root: string, uploads: number): string[] {
  const written: string[] = [];
  for (let i = 0; i < uploads; i++) {
    const rel = `uploads/${i % 10}/scan-${i}.bin`;
    const size = 1 + ((i * 7919) % 60_000);
    const data =
      i % 2 ? randomBytes(size) : Buffer.from(`visit ${i}: blood pressure normal\n`.repeat(Math.ceil(size / 34))).subarray(0, size);
    fs.mkdirSync(path.join(root, path.dirname(rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), data);
    written.push(rel);
  }
  for (let i = 0; i < 3; i++) {
    const rel = `videos/consult-${i}.bin`;
    fs.mkdirSync(path.join(root, 'videos'), { recursive: true });
    fs.writeFileSync(path.join(root, rel), randomBytes(2 * 1024 * 1024));
    written.push(rel);
  }
  return written;
}

const inFolder = (folder: string, suffix: string) =>
  fs.existsSync(folder) ? fs.readdirSync(folder).filter((f) => f.endsWith(suffix)) : [];

export async function runBackupKillDrill(o: BackupKillOptions): Promise<BackupKillCounts> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nest-backup-kill-drill-'));
  const counts: BackupKillCounts = {
    rounds: 0,
    killedMidRun: 0,
    finishedBeforeKill: 0,
    zipsTested: 0,
    zipsBroken: 0,
    mostPartsAfterKill: 0,
    lastRunOk: false,
    uploadsCompared: 0,
    problems: [],
  };
  const env = {
    DB_URL: 'sqlite:storage/demo.sqlite',
    BACKUP_NAME: NAME,
    BACKUP_DISKS: 'local',
    BACKUP_INCLUDE: 'storage/app',
    BACKUP_ARCHIVE_PASSWORD: PASSWORD,
    BACKUP_FAILURE_NOTIFICATIONS: '',
    BACKUP_HEALTH_NOTIFICATIONS: '',
    BACKUP_SUCCESS_NOTIFICATIONS: '',
  };
  const folder = path.join(dir, 'storage/backups', NAME);
  const tested = new Set<string>();
  try {
    const seeded = await runCli(o.cli, ['demo:seed', '--tenants', '3', '--rows', '20'], env, dir);
    if (seeded.code !== 0) throw new Error(`demo:seed failed:\n${seeded.output}`);
    const uploads = writeTree(path.join(dir, 'storage/app'), o.uploads ?? 3000);

    // One whole run first: how long a backup takes here, so the kills fall inside one.
    const started = Date.now();
    const first = await runCli(o.cli, ['backup:run', '--disable-notifications'], env, dir);
    const runMs = Date.now() - started;
    if (first.code !== 0) throw new Error(`the first backup:run failed:\n${first.output}`);
    o.log(`backup kill drill: ${uploads.length} uploads and a SQLite database; one backup:run takes ${runMs} ms`);

    for (let round = 1; round <= o.rounds; round++) {
      // Distinct file names: backups are named by the second they start.
      await new Promise((r) => setTimeout(r, 1000));
      const at = Math.round(runMs * (0.05 + 0.9 * Math.random()));
      const run = await runCli(o.cli, ['backup:run', '--disable-notifications'], env, dir, at);
      counts.rounds++;
      if (run.killed) counts.killedMidRun++;
      else if (run.code === 0) counts.finishedBeforeKill++;
      else counts.problems.push(`round ${round}: backup:run ended by itself with ${run.code ?? run.signal}:\n${run.output}`);
      const parts = inFolder(folder, '.part');
      counts.mostPartsAfterKill = Math.max(counts.mostPartsAfterKill, parts.length);
      for (const zip of inFolder(folder, '.zip').filter((z) => !tested.has(z))) {
        tested.add(zip);
        counts.zipsTested++;
        const result = await testWith7z(path.join(folder, zip), PASSWORD);
        if (result.code !== 0) {
          counts.zipsBroken++;
          counts.problems.push(`round ${round}: ${zip} is under a backup's name and 7-Zip refuses it: ${result.stderr || result.stdout}`);
        }
      }
      o.log(`  round ${round}: ${run.killed ? `killed at ${at} ms` : `finished before ${at} ms`}; ${parts.length} .part file(s) left`);
    }

    await new Promise((r) => setTimeout(r, 1000));
    const last = await runCli(o.cli, ['backup:run', '--disable-notifications'], env, dir);
    const key = /✔ local: (\S+\.zip)/.exec(last.output)?.[1];
    const partsLeft = inFolder(folder, '.part');
    const zips = inFolder(folder, '.zip');
    const listed = await runCli(o.cli, ['backup:list', '--json'], env, dir);
    const listedCount = listed.code === 0 ? (JSON.parse(listed.output) as Array<{ count: number }>)[0]?.count : undefined;
    if (last.code !== 0 || !key) counts.problems.push(`the last backup:run failed:\n${last.output}`);
    if (partsLeft.length) counts.problems.push(`the last run left temporary files: ${partsLeft.join(', ')}`);
    if (listedCount !== zips.length) counts.problems.push(`backup:list counts ${listedCount} backups, the folder holds ${zips.length}`);
    if (key) {
      const out = path.join(dir, 'extracted');
      const extracted = await extractWith7z(path.join(dir, 'storage/backups', key), out, PASSWORD);
      if (extracted.code !== 0) counts.problems.push(`7-Zip cannot extract the last archive: ${extracted.stderr}`);
      for (const rel of uploads) {
        const a = fs.readFileSync(path.join(dir, 'storage/app', rel));
        const b = path.join(out, 'files/storage/app', rel);
        if (!fs.existsSync(b) || !a.equals(fs.readFileSync(b))) counts.problems.push(`${rel} differs in the last archive`);
        else counts.uploadsCompared++;
      }
    }
    counts.lastRunOk =
      last.code === 0 && !!key && partsLeft.length === 0 && listedCount === zips.length && counts.uploadsCompared === uploads.length;
    return counts;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
