/**
 * The two data sets of the pipeline benchmark. `small` checks that everything works in about a
 * minute; `large` is the one the targets of issue 9 are judged on (≥ 2 GB of plain dump plus
 * 1 GB of files). A pgbench scale unit is 100,000 pgbench_accounts rows, about 9.7 MB of dump.
 */
export interface BenchScale {
  name: 'small' | 'large';
  /** `pgbench -i -s <pgbenchScale>`. */
  pgbenchScale: number;
  /** Demo tables seeded beside pgbench's (test/support/databases.ts seedDemo). */
  demoTenants: number;
  demoRowsPerTenant: number;
  /** Compressible text files (logs, JSON, CSV exports), total bytes. */
  textBytes: number;
  /** Incompressible files (uploaded images), total bytes. */
  randomBytes: number;
}

const MB = 1024 * 1024;

export const SCALES: Record<BenchScale['name'], BenchScale> = {
  small: { name: 'small', pgbenchScale: 4, demoTenants: 20, demoRowsPerTenant: 200, textBytes: 16 * MB, randomBytes: 16 * MB },
  large: { name: 'large', pgbenchScale: 220, demoTenants: 200, demoRowsPerTenant: 1000, textBytes: 512 * MB, randomBytes: 512 * MB },
};

export function scaleFromEnv(env: NodeJS.ProcessEnv = process.env): BenchScale {
  const name = (env.BENCH_SCALE ?? 'small').trim();
  const scale = SCALES[name as BenchScale['name']];
  if (!scale) throw new Error(`BENCH_SCALE must be "small" or "large" (got "${name}")`);
  return scale;
}

export function repeatFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.BENCH_REPEAT ?? '3';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_REPEAT must be a whole number ≥ 1 (got "${raw}")`);
  return n;
}

/** BENCH_RUNS=lib-local,shell runs only those (a restore needs its backup run: lib-local, shell). */
export function runsFromEnv<T extends string>(all: readonly T[], env: NodeJS.ProcessEnv = process.env): T[] {
  if (!env.BENCH_RUNS) return [...all];
  const wanted = env.BENCH_RUNS.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted.filter((w) => !all.includes(w as T));
  if (unknown.length) throw new Error(`BENCH_RUNS: unknown run(s) ${unknown.join(', ')}; known: ${all.join(', ')}`);
  if (wanted.includes('lib-restore') && !wanted.includes('lib-local')) throw new Error('BENCH_RUNS: lib-restore needs lib-local');
  if (wanted.includes('psql-restore') && !wanted.includes('shell')) throw new Error('BENCH_RUNS: psql-restore needs shell');
  for (const run of ['s3-restore', 'awscli-restore']) {
    if (wanted.includes(run) && !wanted.includes('lib-local')) throw new Error(`BENCH_RUNS: ${run} needs lib-local`);
  }
  return all.filter((r) => wanted.includes(r));
}
