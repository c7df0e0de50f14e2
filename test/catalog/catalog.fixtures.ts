import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Test, TestingModule } from '@nestjs/testing';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { backupFileName } from '../../libs/backup/src/catalog/backup-key';
import { backupOptionsFromEnv } from '../../libs/backup/src/config/env.config';
import { BackupModuleOptions } from '../../libs/backup/src/config/backup-options.interface';
import { BackupModule } from '../../libs/backup/src/module/backup.module';
import { BackupCommandsModule } from '../../libs/backup/src/cli/nest-commander/backup-commands.module';
import { seededRandom } from '../../libs/backup/src/retention/retention.test-fixtures';
import { TestS3Server } from '../support/s3.server';

export const APP = 'catalog-app';
const YEAR_MS = 365.25 * 86_400_000;

/** A deterministic PRNG (mulberry32), so a failure can be replayed. */
export { seededRandom };

export interface SeededBackup {
  key: string;
  date: Date;
  size: number;
}

/**
 * `count` backups with distinct second-resolution dates spread over the five years before
 * `now` (a tenth of them in the last 40 days, where the short periods decide), small sizes.
 */
export function backupSet(count: number, now: Date, seed = 42): SeededBackup[] {
  const random = seededRandom(seed);
  const byKey = new Map<string, SeededBackup>();
  while (byKey.size < count) {
    const recent = random() < 0.1;
    const ago = recent ? random() * 40 * 86_400_000 : random() * 5 * YEAR_MS;
    const date = new Date(Math.floor((now.getTime() - ago) / 1000) * 1000);
    const key = `${APP}/${backupFileName(date)}`;
    byKey.set(key, { key, date, size: 200 + Math.floor(random() * 300) });
  }
  return [...byKey.values()];
}

/** Files in the same prefix that this library did not write: never listed, counted or deleted. */
export const UNRELATED: Array<{ key: string; size: number }> = [
  { key: `${APP}/README.txt`, size: 4000 },
  { key: `${APP}/2019-01-01-00-00-00.zip.bak`, size: 5000 },
  { key: `${APP}/manual-2019-01-01.zip`, size: 6000 },
  { key: `${APP}/old/2019-01-01-00-00-00.zip`, size: 7000 },
  { key: `${APP}/2019-02-30-00-00-00.zip`, size: 8000 },
  { key: `other-app/2019-01-01-00-00-00.zip`, size: 9000 },
];

const bytes = (n: number) => Buffer.alloc(n, 0x61);

export async function writeLocal(root: string, objects: Array<{ key: string; size: number }>): Promise<void> {
  const dirs = new Set(objects.map((o) => path.dirname(path.join(root, o.key))));
  for (const d of dirs) await mkdir(d, { recursive: true });
  await pool(objects, 32, (o) => writeFile(path.join(root, o.key), bytes(o.size)));
}

export async function writeS3(s3: TestS3Server, objects: Array<{ key: string; size: number }>): Promise<void> {
  await pool(objects, 16, (o) =>
    s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: o.key, Body: bytes(o.size) })).then(() => undefined),
  );
}

async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/** Full module options from the environment, as a host gets them, for local root and s3rver. */
export function optionsFor(localRoot: string, s3: TestS3Server | undefined, env: Record<string, string> = {}): BackupModuleOptions {
  return backupOptionsFromEnv({
    BACKUP_NAME: APP,
    BACKUP_DISKS: s3 ? 'local,s3' : 'local',
    BACKUP_LOCAL_ROOT: localRoot,
    // No audit trail: its default file is under the app root, here the repository's folder.
    BACKUP_AUDIT: 'off',
    BACKUP_ENCRYPTION: 'none',
    BACKUP_DATABASES: 'none',
    BACKUP_FAILURE_NOTIFICATIONS: '',
    BACKUP_HEALTH_NOTIFICATIONS: '',
    ...(s3
      ? {
          AWS_BUCKET: s3.bucket,
          AWS_ENDPOINT: s3.endpoint,
          AWS_DEFAULT_REGION: s3.region,
          AWS_USE_PATH_STYLE_ENDPOINT: 'true',
          AWS_ACCESS_KEY_ID: s3.accessKeyId,
          AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
        }
      : {}),
    ...env,
  });
}

export interface Harness {
  module: TestingModule;
  events: Array<{ name: string; payload: any; meta: any }>;
}

/**
 * BackupModule.forRoot(options) in a Nest testing module, with the library's commands as a CLI
 * entry point adds them (BackupCommandsModule); every emitted event is recorded.
 */
export async function harness(options: BackupModuleOptions, providers: any[] = [], imports: any[] = []): Promise<Harness> {
  const module = await Test.createTestingModule({
    imports: [BackupModule.forRoot(options), BackupCommandsModule, ...imports],
    providers,
  }).compile();
  await module.init();
  const events: Harness['events'] = [];
  module.get(EventEmitter2).onAny((name, payload, meta) => events.push({ name: String(name), payload, meta }));
  return { module, events };
}

/** Runs a command's `run` and captures what it printed and the exit code it set. */
export async function capture(run: () => Promise<void>): Promise<{ out: string; exitCode: number }> {
  const write = process.stdout.write;
  const previous = process.exitCode;
  process.exitCode = 0;
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    await run();
  } finally {
    process.stdout.write = write;
  }
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = previous;
  return { out, exitCode };
}
