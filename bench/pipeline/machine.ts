import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface MachineFacts {
  cores: number;
  cpuModel: string;
  memoryGB: number;
  kernel: string;
  tools: Record<string, string>;
}

function firstLine(cmd: string, args: string[], pick = (lines: string[]) => lines[0]): string {
  try {
    const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return (
      pick(
        out
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean),
      ) ?? 'unknown'
    );
  } catch {
    return 'not found';
  }
}

/** The machine and the versions of every tool a run used, stored beside the figures. */
export function machineFacts(sevenZip: string, repoRoot: string): MachineFacts {
  const lib = JSON.parse(fs.readFileSync(path.join(repoRoot, 'libs/backup/package.json'), 'utf8')) as { version: string };
  return {
    cores: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGB: Math.round(os.totalmem() / 1024 ** 3),
    kernel: `${os.type()} ${os.release()}`,
    tools: {
      node: process.version,
      'nest-backup': lib.version,
      pg_dump: firstLine('pg_dump', ['--version']),
      psql: firstLine('psql', ['--version']),
      postgresServer: firstLine('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-XAtc', 'SHOW server_version', 'postgres']),
      pgbench: firstLine('pgbench', ['--version']),
      gzip: firstLine('gzip', ['--version']),
      zip: firstLine('zip', ['-v'], (l) => l.find((x) => x.startsWith('This is Zip')) ?? l[0]),
      '7zz': firstLine(sevenZip, ['i'], (l) => l.find((x) => x.startsWith('7-Zip')) ?? l[0]),
      bash: firstLine('bash', ['--version']),
      aws: firstLine('aws', ['--version']),
    },
  };
}

/**
 * Core-milliseconds every CPU of the machine spent busy since boot (`/proc/stat`: user, nice,
 * system, irq, softirq, steal). The difference over a run counts the database server's work
 * too, which a process tree does not: busy / cores is the wall time no client can go below.
 */
export function machineBusyMs(): number {
  const [cpu] = fs.readFileSync('/proc/stat', 'latin1').split('\n');
  const [user, nice, system, , , irq, softirq, steal] = cpu.trim().split(/\s+/).slice(1).map(Number);
  const ticksPerSecond = 100; // USER_HZ on Linux
  return ((user + nice + system + irq + softirq + steal) * 1000) / ticksPerSecond;
}
