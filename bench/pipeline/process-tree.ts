import { spawn, SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';

/** Parent pid of every live process, read from /proc/<pid>/stat (field 4, after the comm). */
function parentMap(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue; // exited meanwhile
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid);
    if (list) list.push(Number(name));
    else children.set(ppid, [Number(name)]);
  }
  return children;
}

function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Sum of VmRSS over `root` and all its descendants right now. */
export function treeRss(root: number): number {
  const children = parentMap();
  let total = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop() as number;
    total += rssBytes(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

export interface StepResult {
  label: string;
  wallMs: number;
  peakRssBytes: number;
  code: number | null;
  stderr: string;
}

/**
 * Runs one command to its end and samples the resident memory of its whole process tree
 * (a shell pipeline's pg_dump and gzip, the CLI's pg_dump child) every `everyMs`. The server
 * side (the PostgreSQL backend, s3rver) is not part of the tree in any run.
 */
export function runMeasured(
  label: string,
  command: string,
  args: string[],
  options: SpawnOptions & { onSample?: () => void; everyMs?: number } = {},
): Promise<StepResult> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], ...options });
    let peak = 0;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.length > 64 * 1024) stderr = stderr.slice(-32 * 1024);
    });
    const sample = () => {
      if (child.pid) peak = Math.max(peak, treeRss(child.pid));
      options.onSample?.();
    };
    const timer = setInterval(sample, options.everyMs ?? 75);
    child.once('spawn', sample);
    child.once('error', (err) => {
      clearInterval(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearInterval(timer);
      options.onSample?.();
      resolve({ label, wallMs: Number(process.hrtime.bigint() - started) / 1e6, peakRssBytes: peak, code, stderr });
    });
  });
}

/** runMeasured, failing with the command's stderr when it exits non-zero. */
export async function runStep(label: string, command: string, args: string[], options: Parameters<typeof runMeasured>[3] = {}): Promise<StepResult> {
  const r = await runMeasured(label, command, args, options);
  if (r.code !== 0) throw new Error(`${label} exited ${r.code}: ${r.stderr.trim().slice(-2000)}`);
  return r;
}
