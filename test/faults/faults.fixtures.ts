/**
 * Shared pieces of the fault suite: the per-class tally printed after each file ("fault class
 * <name>: N tried, N lost nothing"), the demo CLI's environment, generated incompressible files
 * and the checks every case repeats (no temporary file, no object, file modes).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConnectionInfo } from '../../libs/backup/src/sources/connection-info';
import { listFiles } from '../support/cli';

export const PASSWORD = 'fault-suite-archive-password-0123456789';

/**
 * Counts the cases of one fault class. `faultCase` registers a Jest test that counts as tried
 * when it starts and as "lost nothing" only when every assertion in it passed.
 */
export class FaultTally {
  tried = 0;
  lostNothing = 0;
  constructor(readonly name: string) {}

  summary(): string {
    return `fault class ${this.name}: ${this.tried} tried, ${this.lostNothing} lost nothing`;
  }
}

/** Declares the tally of a file's fault class and prints its summary line after the file. */
export function faultClass(name: string): FaultTally {
  const tally = new FaultTally(name);
  afterAll(() => {
    // eslint-disable-next-line no-console
    console.log(tally.summary());
  });
  return tally;
}

export function faultCase(tally: FaultTally, title: string, fn: () => Promise<void>, timeoutMs?: number): void {
  it(
    title,
    async () => {
      tally.tried++;
      await fn();
      tally.lostNothing++;
    },
    timeoutMs,
  );
}

export function dbUrl(c: ConnectionInfo): string {
  if (c.driver === 'sqlite') return `sqlite:${c.database}`;
  const auth = c.password ? `${c.username}:${encodeURIComponent(c.password)}` : c.username;
  return `${c.driver === 'postgres' ? 'postgres' : 'mysql'}://${auth}@${c.host}:${c.port}/${c.database}`;
}

/** The demo CLI's environment for a SQLite app in `dir`: local disk only, no notifications. */
export function baseEnv(name: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DB_URL: 'sqlite:storage/demo.sqlite',
    BACKUP_NAME: name,
    BACKUP_DISKS: 'local',
    BACKUP_ARCHIVE_PASSWORD: PASSWORD,
    BACKUP_FAILURE_NOTIFICATIONS: '',
    BACKUP_HEALTH_NOTIFICATIONS: '',
    ...extra,
  };
}

/** S3 settings of the demo CLI pointing at `endpoint` (s3rver or a proxy in front of it). */
export function s3Env(
  endpoint: string,
  s3: { accessKeyId: string; secretAccessKey: string; region: string; bucket: string },
): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_DEFAULT_REGION: s3.region,
    AWS_BUCKET: s3.bucket,
    AWS_ENDPOINT: endpoint,
    AWS_USE_PATH_STYLE_ENDPOINT: 'true',
  };
}

/** Writes `bytes` of random (incompressible) data to `file`, 1 MiB at a time. */
export function writeRandomFile(file: string, bytes: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'w');
  try {
    for (let left = bytes; left > 0; left -= 1 << 20) fs.writeSync(fd, randomBytes(Math.min(left, 1 << 20)));
  } finally {
    fs.closeSync(fd);
  }
}

/** Files below the app's backup folder (temporary `.part` files included). */
export function backupFolderFiles(appDir: string): string[] {
  return listFiles(path.join(appDir, 'storage/backups'));
}

/** Temporary files anywhere below `dir`. */
export function partFiles(dir: string): string[] {
  return listFiles(dir).filter((f) => /\.part$/.test(f));
}

export function modeOf(file: string): number {
  return fs.statSync(file).mode & 0o777;
}
