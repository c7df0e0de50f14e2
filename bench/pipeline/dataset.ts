import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ADMIN, runSql, seedDemo } from '../../test/support/databases';
import { BenchScale } from './scales';

/** What the runs need to know about the cached data of one scale. */
export interface Dataset {
  scale: BenchScale['name'];
  database: string;
  dbUrl: string;
  /** Folder whose basename (`files`) is what every archive holds. */
  filesDir: string;
  fileCount: number;
  fileBytes: number;
  /** Length of the plain SQL `pg_dump --no-owner --no-privileges` writes for the database. */
  dumpBytes: number;
  createdAt: string;
}

const PG = { host: '127.0.0.1', port: 5432, user: 'postgres' };
export const PG_ENV: NodeJS.ProcessEnv = { PGHOST: PG.host, PGPORT: String(PG.port), PGUSER: PG.user };

/** The flags every run dumps with: the library's own (postgres.dumper.ts), so dumps are alike. */
export const PG_DUMP_FLAGS = ['--format=plain', '--no-owner', '--no-privileges', '--encoding=UTF8'];

/**
 * The database and file tree of a scale, generated once into bench/.cache/<scale>/ and reused
 * while dataset.json, the database and the folder are all still there.
 */
export async function ensureDataset(cacheRoot: string, scale: BenchScale, log: (m: string) => void): Promise<Dataset> {
  const dir = path.join(cacheRoot, scale.name);
  const marker = path.join(dir, 'dataset.json');
  const database = `nbbench_${scale.name}`;
  if (fs.existsSync(marker)) {
    const cached = JSON.parse(fs.readFileSync(marker, 'utf8')) as Dataset;
    if (fs.existsSync(cached.filesDir) && (await databaseExists(database))) {
      log(`Using cached data of scale ${scale.name} (${dir}, database ${database})`);
      return cached;
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const t0 = Date.now();
  log(`Generating database ${database}: pgbench -i -s ${scale.pgbenchScale} plus the demo tables...`);
  await runSql(admin(), `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  await runSql(admin(), `CREATE DATABASE "${database}"`);
  execFileSync('pgbench', ['-i', '-q', '-s', String(scale.pgbenchScale), '-I', 'dtGvp', database], {
    env: { ...process.env, ...PG_ENV },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await seedDemo({ ...admin(), database }, { tenants: scale.demoTenants, rowsPerTenant: scale.demoRowsPerTenant });
  log(`Generating the file tree (${mb(scale.textBytes)} MB text, ${mb(scale.randomBytes)} MB random)...`);
  const filesDir = path.join(dir, 'files');
  const files = generateFiles(filesDir, scale);
  log('Measuring the plain dump...');
  const dumpBytes = await plainDumpBytes(database);
  const dataset: Dataset = {
    scale: scale.name,
    database,
    dbUrl: `postgres://${PG.user}@${PG.host}:${PG.port}/${database}`,
    filesDir,
    fileCount: files.count,
    fileBytes: files.bytes,
    dumpBytes,
    createdAt: new Date().toISOString(),
  };
  fs.writeFileSync(marker, JSON.stringify(dataset, null, 2));
  log(`Data ready in ${((Date.now() - t0) / 1000).toFixed(0)} s: dump ${mb(dumpBytes)} MB, ${files.count} files ${mb(files.bytes)} MB`);
  return dataset;
}

function admin() {
  return { ...ADMIN.postgres };
}

async function databaseExists(name: string): Promise<boolean> {
  return (await runSql(admin(), 'SELECT 1 FROM pg_database WHERE datname = $1', [name])).length === 1;
}

function mb(n: number): string {
  return (n / 1024 / 1024).toFixed(0);
}

/** Counts the bytes of `pg_dump` without keeping them. */
function plainDumpBytes(database: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('pg_dump', [...PG_DUMP_FLAGS, database], {
      env: { ...process.env, ...PG_ENV },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let n = 0;
    child.stdout.on('data', (d: Buffer) => (n += d.length));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(n) : reject(new Error(`pg_dump exited ${code}`))));
  });
}

/** A small deterministic generator, so two machines get trees of the same shape. */
function rng(seed: number): (n: number) => number {
  let x = seed >>> 0;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

/**
 * 8 MB of log / JSON / CSV lines with ids, timestamps, hashes and words from a vocabulary:
 * deflate 6 leaves roughly a quarter, like real application text.
 */
function textPool(rnd: (n: number) => number): Buffer {
  const vocab = Array.from({ length: 2000 }, (_, i) => (((i + 7) * 2654435761) % 4294967296).toString(36).slice(0, 2 + (i % 9)));
  const levels = ['INFO', 'WARN', 'DEBUG', 'ERROR'];
  const out = Buffer.allocUnsafe(8 * 1024 * 1024);
  let pos = 0;
  let n = 0;
  while (pos < out.length) {
    const words = Array.from({ length: 4 + rnd(12) }, () => vocab[rnd(vocab.length)]).join(' ');
    const ts = `2026-${String(1 + rnd(12)).padStart(2, '0')}-${String(1 + rnd(28)).padStart(2, '0')}T${String(rnd(24)).padStart(2, '0')}:${String(rnd(60)).padStart(2, '0')}:${String(rnd(60)).padStart(2, '0')}.${String(rnd(1000)).padStart(3, '0')}Z`;
    const hash = rnd(0x7fffffff).toString(16) + rnd(0x7fffffff).toString(16);
    const line =
      n++ % 3 === 0
        ? `{"ts":"${ts}","tenant":${rnd(500)},"user":${rnd(100000)},"event":"${vocab[rnd(60)]}","ref":"${hash}","msg":"${words}"}\n`
        : n % 3 === 1
          ? `${ts} ${levels[rnd(4)]} [${vocab[rnd(40)]}] req=${hash} ${words} (${rnd(5000)} ms)\n`
          : `${rnd(10000000)},${vocab[rnd(vocab.length)]}@${vocab[rnd(80)]}.example,${rnd(100000) / 100},"${words}"\n`;
    pos += out.write(line, pos);
  }
  return out;
}

/** Sizes drawn log-uniformly between `min` and `max` until `total` is used up. */
function sizes(rnd: (n: number) => number, total: number, min: number, max: number): number[] {
  const out: number[] = [];
  let left = total;
  while (left > 0) {
    const s = Math.round(min * Math.pow(max / min, rnd(10000) / 10000));
    out.push(Math.min(s, left));
    left -= s;
  }
  return out;
}

/** files/tenant-<n>/{logs,exports}/*.{log,json,csv} and files/tenant-<n>/uploads/<yyyy>/*.jpg. */
function generateFiles(filesDir: string, scale: BenchScale): { count: number; bytes: number } {
  const rnd = rng(9);
  const pool = textPool(rnd);
  let count = 0;
  let bytes = 0;
  const write = (rel: string, data: Buffer) => {
    const p = path.join(filesDir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, data);
    count++;
    bytes += data.length;
  };
  const ext = ['log', 'json', 'csv'];
  for (const [i, size] of sizes(rnd, scale.textBytes, 2 * 1024, 4 * 1024 * 1024).entries()) {
    const at = rnd(pool.length - size + 1);
    write(`tenant-${i % 37}/${i % 2 ? 'logs' : 'exports'}/doc-${i}.${ext[i % 3]}`, pool.subarray(at, at + size));
  }
  for (const [i, size] of sizes(rnd, scale.randomBytes, 40 * 1024, 6 * 1024 * 1024).entries()) {
    write(`tenant-${i % 37}/uploads/${2020 + (i % 6)}/img-${i}.jpg`, randomBytes(size));
  }
  return { count, bytes };
}
