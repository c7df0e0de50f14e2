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
  archivePath: string;
  expectedFiles: string[];
  archive: {
    exists: boolean;
    entries: string[];
    encrypted?: boolean;
    test?: { code: number; output: string };
    /** Sample files missing from the extraction or with other bytes than the original. */
    differing: string[];
  };
}

export interface AppCheck {
  major: 11 | 12;
  /** Optional peers or unused packages that a local-disk app should not have installed. */
  unwanted: string[];
  nodeModulesMb: number;
  install: {
    command: string;
    code: number;
    seconds: number;
    stderr: string;
    eresolve: { shown: string[]; known: PeerWarning[]; unexpected: PeerWarning[] };
  };
  versions: Record<string, string | undefined>;
  copies: Record<'@nestjs/common' | '@nestjs/core', string[]>;
  installScripts: string[];
  hosts: HostRun[];
  /** The Nest 11 app's nestjs-command host (`npx nestjs-command <cmd>`), one run per command. */
  nestjsCommand?: Array<{ command: string; expectedCode: number; code: number; stdout: string; stderr: string }>;
}

export interface PackCheckResult {
  node: string;
  /** Every Node the hosts ran on: this one first, then the second (Node 24). */
  nodes: string[];
  /** Why the second Node could not be installed, if it could not. */
  secondNodeError?: string;
  pack: { tarball: string; name: string; version: string; files: string[] };
  apps: AppCheck[];
  problems: string[];
}

export interface PackCheckModule {
  packCheck(options?: { majors?: number[]; libDir?: string; tarball?: string; keep?: boolean; secondNode?: string | false }): Promise<PackCheckResult>;
  summary(result: PackCheckResult): string;
}
