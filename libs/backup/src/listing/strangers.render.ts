import { StrangerEntry } from '../catalog/backup-entry';
import { formatBytes } from './size.format';

/**
 * One line per object named like a backup that is not counted as one, for `backup:list`,
 * `backup:monitor` and `backup:clean`: "app/2099-01-01-00-00-00.zip (3 B): future-dated, named for …".
 */
export function strangerLines(strangers: StrangerEntry[], indent: string): string[] {
  return strangers.map((s) => `${indent}${s.key} (${formatBytes(s.size)}): ${s.kind}, ${s.reason}`);
}

/** The JSON form of the same, for `--json`. */
export function strangersJson(strangers: StrangerEntry[]) {
  return strangers.map((s) => ({ key: s.key, kind: s.kind, size: s.size, date: s.date.toISOString(), reason: s.reason }));
}
