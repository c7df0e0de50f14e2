// The shape of scripts/pack-check.js's result (a plain-JavaScript script, so its types live here).
import type { RunReport } from 'nest-backup';

export interface PeerWarning {
  message: string;
  edge?: string;
  spec?: string;
  from?: string;
  location?: string;
}

export interface HostRun {
  name: string;
  kind: 'cjs' | 'mjs';
  /** The Node version it ran on (process.version form). */
  node: string;
  command: string;
  code: number;
  stdout: string;
  stderr: string;
  /** The RunReport the ES-module host printed (undefined for the CLI host). */
  report?: RunReport;
  /** What BackupHealthIndicator (imported from 'nest-backup/terminus') returned in the ES-module host. */
  health?: Record<string, { status: string; disks?: Record<string, { healthy: boolean; count: number }> }>;
  /** The CLI packages (nest-commander, nestjs-command, commander, yargs) the ES-module host's process loaded. */
  loadedCliPackages?: string[];
  archivePath: string;
  expectedFiles: string[];
  /** The archive entry of the app's PostgreSQL dump (`db-dumps/postgres-<database>.sql`). */
  expectedDump: string;
  archive: {
    exists: boolean;
    entries: string[];
    encrypted?: boolean;
    test?: { code: number; output: string };
    /** Sample files missing from the extraction or with other bytes than the original. */
    differing: string[];
    /** The extracted dump holds every row the check seeded into the app's database. */
    dumpHasRows: boolean;
  };
}

export interface InstallRun {
  command: string;
  code: number;
  seconds: number;
  stderr: string;
  eresolve: { shown: string[]; known: PeerWarning[]; unexpected: PeerWarning[] };
}

export interface CliRun {
  command: string;
  expectedCode: number;
  code: number;
  stdout: string;
  stderr: string;
}

export interface AppCheck {
  major: 11 | 12;
  /** The CLI package the app runs its commands with (11: nestjs-command, 12: nest-commander). */
  cli: 'nestjs-command' | 'nest-commander';
  /** Optional peers or unused packages that a local-disk app should not have installed. */
  unwanted: string[];
  /** The app's own `npm install` before the library. */
  appInstall: InstallRun;
  /** `npm install <tgz>` into that app. */
  install: InstallRun;
  versions: Record<string, string | undefined>;
  copies: Record<'@nestjs/common' | '@nestjs/core', string[]>;
  installScripts: string[];
  /** The PostgreSQL database the app's TypeORM DataSource points at (seeded rows). */
  database?: { name: string; entry: string; rows: string[] };
  databaseError?: string;
  hosts: HostRun[];
  /** backup:run, backup:list, backup:monitor and a failing command through the app's CLI package. */
  cliRuns: CliRun[];
  /** `npm install @aws-sdk/client-s3` afterwards, for the S3 app's size. */
  s3Install?: InstallRun;
  /** `du -sk` / `du -sh` of node_modules: the app alone, with nest-backup, and with the S3 SDK too. */
  sizes?: {
    appKb: number;
    appHuman: string;
    localKb: number;
    localHuman: string;
    s3Kb?: number;
    s3Human?: string;
    addedLocalKb: number;
    addedS3Kb?: number;
  };
}

export interface TypesCheck {
  install: InstallRun;
  optionalPeersInstalled: string[];
  compile?: { command: string; code: number; output: string };
}

export interface PackCheckResult {
  node: string;
  /** Every Node the hosts ran on: this one first, then the second (Node 24). */
  nodes: string[];
  /** Why the second Node could not be installed, if it could not. */
  secondNodeError?: string;
  pack: { tarball: string; name: string; version: string; files: string[] };
  apps: AppCheck[];
  /** The declarations compiled in a strict host without any optional peer. */
  types?: TypesCheck;
  problems: string[];
}

export interface PackCheckModule {
  packCheck(options?: {
    majors?: number[];
    libDir?: string;
    tarball?: string;
    keep?: boolean;
    secondNode?: string | false;
    types?: boolean;
  }): Promise<PackCheckResult>;
  summary(result: PackCheckResult): string;
}
