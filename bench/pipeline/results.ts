import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '../../..');
const RESULTS = path.join(REPO, 'bench/results');

/**
 * Writes a bench's figures to bench/results/<name>-<startedAt>.json, with the end time and the
 * load average at the end (so a run on a busy machine can be told apart); returns the path
 * relative to the repository.
 */
export function saveResults(name: string, startedAt: string, figures: Record<string, unknown>): string {
  fs.mkdirSync(RESULTS, { recursive: true });
  const file = path.join(RESULTS, `${name}-${startedAt.replace(/[:.]/g, '-')}.json`);
  const json = { ...figures, startedAt, finishedAt: new Date().toISOString(), loadAverageAtEnd: os.loadavg() };
  fs.writeFileSync(file, JSON.stringify(json, null, 2) + '\n');
  return path.relative(REPO, file);
}
