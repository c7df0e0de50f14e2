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

/**
 * A process's peak resident memory so far (VmHWM: the kernel's high-water mark, so a spike
 * between two samples still counts), or its current one (VmRSS).
 */
function memoryBytes(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Memory of `root` and all its descendants alive right now: the sum of each one's `field`.
 * With VmHWM it is an upper bound of the tree's peak (each process counted at its own peak),
 * exact for a tree of one process, like the CLI's files restore.
 */
export function treeRss(root: number, field: 'VmHWM' | 'VmRSS' = 'VmRSS'): number {
  const children = parentMap();
  let total = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop() as number;
    total += memoryBytes(pid, field);
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
 * Runs one command to its end and samples the peak resident memory (VmHWM) of its whole process
 * tree (a shell pipeline's pg_dump and gzip, the CLI's pg_dump child) every `everyMs`. The
 * kernel's high-water marks catch what a sample of VmRSS misses (a 75 ms sampling read 289 MB
 * for a restore whose own peak, by /usr/bin/time, was 475 MB); only the last `everyMs` before
 * the command ends can go unseen. The server
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
      if (child.pid) peak = Math.max(peak, treeRss(child.pid, 'VmHWM'));
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
export async function runStep(
  label: string,
  command: string,
  args: string[],
  options: Parameters<typeof runMeasured>[3] = {},
): Promise<StepResult> {
  const r = await runMeasured(label, command, args, options);
  if (r.code !== 0) throw new Error(`${label} exited ${r.code}: ${r.stderr.trim().slice(-2000)}`);
  return r;
}
