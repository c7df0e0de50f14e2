import * as fs from 'node:fs';
import * as path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileLine {
  name: string;
  where: string;
  selfMs: number;
  share: number;
}

/**
 * Self time per function of a V8 .cpuprofile (what `node --cpu-prof` writes), heaviest first.
 * `(idle)` is the main thread waiting: for this pipeline, time spent in the thread pool
 * (deflate), in child processes (pg_dump) or on I/O.
 */
export function topSelfTime(file: string, limit = 15): { totalMs: number; lines: ProfileLine[] } {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const grouped = new Map<string, { name: string; where: string; us: number }>();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const where = url ? `${shorten(url)}:${lineNumber + 1}` : '';
    const key = `${functionName}@${where}`;
    const g = grouped.get(key) ?? { name: functionName || '(anonymous)', where, us: 0 };
    g.us += us;
    grouped.set(key, g);
  }
  const totalUs = profile.endTime - profile.startTime;
  const lines = [...grouped.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, limit)
    .map((g) => ({ name: g.name, where: g.where, selfMs: g.us / 1000, share: g.us / totalUs }));
  return { totalMs: totalUs / 1000, lines };
}

function shorten(url: string): string {
  const p = url.replace(/^file:\/\//, '');
  const i = p.indexOf('/node_modules/');
  if (i >= 0) return p.slice(i + 1);
  const d = p.indexOf('/dist/');
  return d >= 0 ? p.slice(d + 1) : path.basename(p);
}

export function renderProfile(label: string, file: string): string {
  const { totalMs, lines } = topSelfTime(file);
  return [
    `CPU profile of ${label} (main thread, ${(totalMs / 1000).toFixed(1)} s): top self time`,
    ...lines.map((l) => `  ${(l.share * 100).toFixed(1).padStart(5)}%  ${l.selfMs.toFixed(0).padStart(7)} ms  ${l.name}  ${l.where}`),
  ].join('\n');
}
