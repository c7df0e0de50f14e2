import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ADMIN, runSql } from '../../test/support/databases';
import type { TestS3Server } from '../../test/support/s3.server';
import { Dataset, PG_DUMP_FLAGS, PG_ENV } from './dataset';
import { treeBytes, ScratchWatcher } from './disk-usage';
import { runStep, StepResult } from './process-tree';

/**
 * How the demo runs its CLI (`npm run cli`): V8's young generation capped at 4 MB per semi-space
 * instead of up to 16 MB, so the short-lived chunk objects of a backup (and the buffers they
 * hold) are collected sooner. Measured on the large backup: 182 MB peak RSS and 45.9 s, against
 * 200 MB and 42.9 s with Node's default. BENCH_CLI_NODE_FLAGS="" measures the defaults.
 */
export const CLI_NODE_FLAGS = (process.env.BENCH_CLI_NODE_FLAGS ?? '--max-semi-space-size=4').split(/\s+/).filter(Boolean);

export type RunName = 'lib-local' | 'lib-s3' | 'shell' | '7zip' | 'lib-restore' | 'psql-restore' | 's3-restore' | 'awscli-restore';

export const BACKUP_RUNS: RunName[] = ['lib-local', 'lib-s3', 'shell', '7zip'];
export const RESTORE_RUNS: RunName[] = ['lib-restore', 'psql-restore', 's3-restore', 'awscli-restore'];

export const RUN_TITLES: Record<RunName, string> = {
  'lib-local': '(1) backup:run → local, AES-256, deflate 6',
  'lib-s3': '(2) backup:run → s3rver only',
  shell: '(3) pg_dump | gzip -6 + zip -qr',
  '7zip': '(4) pg_dump -f + 7zz -tzip -mx=5 AES256',
  'lib-restore': '(5) backup:restore --to-database',
  'psql-restore': '(5) gunzip -c db.sql.gz | psql',
  's3-restore': '(6) backup:restore --to-database from s3rver',
  'awscli-restore': '(6) aws s3 cp + backup:restore from local disk',
};

export interface RunResult {
  run: RunName;
  round: number;
  wallMs: number;
  peakRssBytes: number;
  tempBytes: number;
  /** Archive bytes written (backup runs); 0 for restores. */
  archiveBytes: number;
  /** Bytes of input the run processed: plain dump + files for backups, plain dump for restores. */
  inputBytes: number;
  steps: Array<Pick<StepResult, 'label' | 'wallMs' | 'peakRssBytes'>>;
}

export interface BenchContext {
  dataset: Dataset;
  /** bench/.cache/<scale>/runs: one folder per run and round, removed when no longer needed. */
  runsDir: string;
  cli: string;
  sevenZip: string;
  password: string;
  s3: TestS3Server;
  /** Extra node flags for the CLI (e.g. --cpu-prof) when profiling. */
  nodeFlags?: string[];
}

/** Per round: the archive of run (1) and the db.sql.gz of run (3), for the restores. */
export interface RoundState {
  localRoot?: string;
  gzDump?: string;
  /** The key of lib-local's archive once copied to s3rver (untimed) for the S3 restores. */
  s3Key?: string;
}

export async function execute(run: RunName, round: number, ctx: BenchContext, state: RoundState): Promise<RunResult> {
  const dir = path.join(ctx.runsDir, `${run}-${round}`);
  fs.rmSync(dir, { recursive: true, force: true });
  const tmp = path.join(dir, 'tmp');
  const out = path.join(dir, 'out');
  fs.mkdirSync(tmp, { recursive: true });
  fs.mkdirSync(out, { recursive: true });
  const watcher = new ScratchWatcher([tmp, out]);
  const common = { onSample: watcher.sample, cwd: dir };
  const { dataset } = ctx;
  const input = dataset.dumpBytes + dataset.fileBytes;
  const done = (steps: StepResult[], archiveBytes: number, keptBytes: number, inputBytes = input): RunResult => ({
    run,
    round,
    wallMs: steps.reduce((s, x) => s + x.wallMs, 0),
    peakRssBytes: Math.max(...steps.map((s) => s.peakRssBytes)),
    tempBytes: watcher.temporaryBytes(keptBytes),
    archiveBytes,
    inputBytes,
    steps: steps.map(({ label, wallMs, peakRssBytes }) => ({ label, wallMs, peakRssBytes })),
  });

  switch (run) {
    case 'lib-local': {
      const env = cliEnv(ctx, tmp, { BACKUP_DISKS: 'local', BACKUP_LOCAL_ROOT: out });
      const step = await runStep(
        'backup:run',
        process.execPath,
        [...CLI_NODE_FLAGS, ...(ctx.nodeFlags ?? []), ctx.cli, 'backup:run', '--disable-notifications'],
        { ...common, env },
      );
      const size = treeBytes(out);
      state.localRoot = out;
      return done([step], size, size);
    }
    case 'lib-s3': {
      const env = cliEnv(ctx, tmp, s3CliEnv(ctx));
      // The app root is watched too: an S3-only run should write nothing locally.
      const s3Watcher = new ScratchWatcher([dir]);
      const step = await runStep('backup:run', process.execPath, [...CLI_NODE_FLAGS, ctx.cli, 'backup:run', '--disable-notifications'], {
        ...common,
        onSample: s3Watcher.sample,
        env,
      });
      const objects = await ctx.s3.client.send(new ListObjectsV2Command({ Bucket: ctx.s3.bucket, Prefix: 'bench/' }));
      const size = (objects.Contents ?? []).reduce((s, o) => s + (o.Size ?? 0), 0);
      for (const o of objects.Contents ?? []) await ctx.s3.client.send(new DeleteObjectCommand({ Bucket: ctx.s3.bucket, Key: o.Key! }));
      const r = done([step], size, 0);
      return { ...r, tempBytes: s3Watcher.temporaryBytes(0) };
    }
    case 'shell': {
      const gz = path.join(out, 'db.sql.gz');
      const zip = path.join(out, 'files.zip');
      const dump = await runStep(
        'pg_dump | gzip -6',
        'bash',
        ['-c', `set -o pipefail; pg_dump ${PG_DUMP_FLAGS.join(' ')} "$DB" | gzip -6 > "$OUT"`],
        {
          ...common,
          env: { ...toolEnv(tmp), DB: dataset.database, OUT: gz },
        },
      );
      const files = await runStep('zip -qr', 'zip', ['-qr', zip, path.basename(dataset.filesDir)], {
        ...common,
        cwd: path.dirname(dataset.filesDir),
        env: toolEnv(tmp),
      });
      const size = fs.statSync(gz).size + fs.statSync(zip).size;
      state.gzDump = gz;
      return done([dump, files], size, size);
    }
    case '7zip': {
      const sql = path.join(out, 'db.sql');
      const zip = path.join(out, 'backup.zip');
      const dump = await runStep('pg_dump -f', 'pg_dump', [...PG_DUMP_FLAGS, '-f', sql, dataset.database], {
        ...common,
        env: toolEnv(tmp),
      });
      // 7zz takes the password only on its command line; it is a throwaway bench password.
      const archive = await runStep(
        '7zz a -tzip -mx=5',
        ctx.sevenZip,
        ['a', '-tzip', '-mx=5', '-mem=AES256', `-p${ctx.password}`, '-bd', '-bso0', '-bsp0', zip, sql, path.basename(dataset.filesDir)],
        { ...common, cwd: path.dirname(dataset.filesDir), env: toolEnv(tmp) },
      );
      fs.rmSync(sql);
      const size = fs.statSync(zip).size;
      const r = done([dump, archive], size, size);
      fs.rmSync(dir, { recursive: true, force: true });
      return r;
    }
    case 'lib-restore': {
      if (!state.localRoot) throw new Error('lib-restore needs the archive of lib-local from the same round');
      const target = `${dataset.database}_r_lib_${round}`;
      await dropDatabase(target);
      const env = cliEnv(ctx, tmp, { BACKUP_DISKS: 'local', BACKUP_LOCAL_ROOT: state.localRoot });
      const step = await runStep(
        'backup:restore',
        process.execPath,
        [
          ...CLI_NODE_FLAGS,
          ...(ctx.nodeFlags ?? []),
          ctx.cli,
          'backup:restore',
          '--latest',
          '--to-database',
          target,
          '--force',
          '--only-db',
        ],
        { ...common, env },
      );
      await dropDatabase(target);
      return done([step], 0, 0, dataset.dumpBytes);
    }
    case 's3-restore': {
      const key = await archiveOnS3(ctx, state);
      const target = `${dataset.database}_r_s3_${round}`;
      await dropDatabase(target);
      const env = cliEnv(ctx, tmp, s3CliEnv(ctx));
      const step = await runStep(
        'backup:restore (S3)',
        process.execPath,
        [...CLI_NODE_FLAGS, ctx.cli, 'backup:restore', path.basename(key), '--to-database', target, '--force', '--only-db'],
        { ...common, env },
      );
      await dropDatabase(target);
      return done([step], 0, 0, dataset.dumpBytes);
    }
    case 'awscli-restore': {
      // What an operator does without this library's S3 reads: download with the AWS CLI (8 MB
      // pieces, 10 at a time by default), then restore from the local copy.
      const key = await archiveOnS3(ctx, state);
      const local = path.join(out, key);
      const download = await runStep(
        'aws s3 cp',
        'aws',
        ['--endpoint-url', ctx.s3.endpoint, 's3', 'cp', '--only-show-errors', `s3://${ctx.s3.bucket}/${key}`, local],
        {
          ...common,
          env: awsCliEnv(ctx, tmp),
        },
      );
      const target = `${dataset.database}_r_awscli_${round}`;
      await dropDatabase(target);
      const env = cliEnv(ctx, tmp, { BACKUP_DISKS: 'local', BACKUP_LOCAL_ROOT: out });
      const step = await runStep(
        'backup:restore (local copy)',
        process.execPath,
        [...CLI_NODE_FLAGS, ctx.cli, 'backup:restore', '--latest', '--to-database', target, '--force', '--only-db'],
        { ...common, env },
      );
      await dropDatabase(target);
      const r = done([download, step], 0, 0, dataset.dumpBytes);
      fs.rmSync(dir, { recursive: true, force: true });
      return r;
    }
    case 'psql-restore': {
      if (!state.gzDump) throw new Error('psql-restore needs db.sql.gz of the shell run from the same round');
      const target = `${dataset.database}_r_psql_${round}`;
      await dropDatabase(target);
      await runSql(ADMIN.postgres, `CREATE DATABASE "${target}"`);
      const step = await runStep(
        'gunzip -c | psql',
        'bash',
        ['-c', 'set -o pipefail; gunzip -c "$GZ" | psql -X -q -v ON_ERROR_STOP=1 -d "$DB" > /dev/null'],
        {
          ...common,
          env: { ...toolEnv(tmp), GZ: state.gzDump, DB: target },
        },
      );
      await dropDatabase(target);
      return done([step], 0, 0, dataset.dumpBytes);
    }
  }
}

/** Copies lib-local's archive of this round to s3rver once (untimed), for the S3 restores. */
async function archiveOnS3(ctx: BenchContext, state: RoundState): Promise<string> {
  if (state.s3Key) return state.s3Key;
  if (!state.localRoot) throw new Error('the S3 restores need the archive of lib-local from the same round');
  const folder = path.join(state.localRoot, 'bench');
  const [name] = fs.readdirSync(folder).filter((f) => f.endsWith('.zip'));
  const key = `bench/${name}`;
  const copied = spawnSync(
    'aws',
    ['--endpoint-url', ctx.s3.endpoint, 's3', 'cp', '--only-show-errors', path.join(folder, name), `s3://${ctx.s3.bucket}/${key}`],
    {
      env: awsCliEnv(ctx, path.dirname(state.localRoot)),
      encoding: 'utf8',
    },
  );
  if (copied.status !== 0) throw new Error(`aws s3 cp of the archive to s3rver failed: ${copied.stderr}`);
  state.s3Key = key;
  return key;
}

/** Removes what archiveOnS3 put in the bucket, so the next round's lib-s3 sizes only its own object. */
export async function endRound(ctx: BenchContext, state: RoundState): Promise<void> {
  if (state.s3Key) await ctx.s3.client.send(new DeleteObjectCommand({ Bucket: ctx.s3.bucket, Key: state.s3Key }));
  state.s3Key = undefined;
}

function s3CliEnv(ctx: BenchContext): Record<string, string> {
  return {
    BACKUP_DISKS: 's3',
    AWS_BUCKET: ctx.s3.bucket,
    AWS_ENDPOINT: ctx.s3.endpoint,
    AWS_DEFAULT_REGION: ctx.s3.region,
    AWS_USE_PATH_STYLE_ENDPOINT: 'true',
    AWS_ACCESS_KEY_ID: ctx.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: ctx.s3.secretAccessKey,
  };
}

/** The AWS CLI's environment: s3rver's keys, no user config files. */
function awsCliEnv(ctx: BenchContext, tmp: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: tmp,
    TMPDIR: tmp,
    AWS_ACCESS_KEY_ID: ctx.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: ctx.s3.secretAccessKey,
    AWS_DEFAULT_REGION: ctx.s3.region,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
}

async function dropDatabase(name: string): Promise<void> {
  await runSql(ADMIN.postgres, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

/** PATH, HOME, the PostgreSQL connection and a private TMPDIR: nothing else leaks in. */
function toolEnv(tmp: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: tmp, ...PG_ENV };
}

/** The demo CLI's environment: the bench database, the file tree, AES-256 and deflate 6. */
function cliEnv(ctx: BenchContext, tmp: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  return demoCliEnv(
    {
      tmp,
      dbUrl: ctx.dataset.dbUrl,
      name: 'bench',
      password: ctx.password,
      appRoot: path.dirname(ctx.dataset.filesDir),
      include: ctx.dataset.filesDir,
    },
    extra,
  );
}

/**
 * The demo CLI's environment for a bench: PATH, HOME, a private TMPDIR, one database, AES-256,
 * deflate 6, no notifications; nothing else of the bench's own environment leaks in.
 */
export function demoCliEnv(
  o: { tmp: string; dbUrl: string; name: string; password: string; appRoot?: string; include: string },
  extra: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: o.tmp,
    DB_URL: o.dbUrl,
    BACKUP_NAME: o.name,
    ...(o.appRoot ? { BACKUP_APP_ROOT: o.appRoot } : {}),
    BACKUP_INCLUDE: o.include,
    BACKUP_ARCHIVE_PASSWORD: o.password,
    BACKUP_ENCRYPTION: 'aes256',
    BACKUP_COMPRESSION_LEVEL: '6',
    BACKUP_FAILURE_NOTIFICATIONS: '',
    BACKUP_HEALTH_NOTIFICATIONS: '',
    BACKUP_SUCCESS_NOTIFICATIONS: '',
    ...extra,
  };
}
