import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The `files` scale: many small uploads, as a SaaS's storage/app holds them. */
export interface FilesTree {
  dir: string;
  count: number;
  bytes: number;
}

/** A small deterministic generator, so two machines get trees of the same shape. */
function rng(seed: number): (n: number) => number {
  let x = seed >>> 0;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

/**
 * `count` files of 1–64 KiB (log-uniform), half text that deflates to about a third (JSON and
 * log lines) and half random bytes ("scans", "avatars"), in tenant/year/month folders.
 * Generated once under `cacheDir` and reused while its marker says the same count.
 */
export function ensureFilesTree(cacheDir: string, count: number, log: (m: string) => void): FilesTree {
  const dir = path.join(cacheDir, 'files');
  const marker = path.join(cacheDir, 'tree.json');
  if (fs.existsSync(marker)) {
    const cached = JSON.parse(fs.readFileSync(marker, 'utf8')) as FilesTree;
    if (cached.count === count && fs.existsSync(dir)) {
      log(`Using the cached tree of ${count} files (${cacheDir})`);
      return cached;
    }
  }
  fs.rmSync(cacheDir, { recursive: true, force: true });
  log(`Generating ${count} files of 1–64 KiB in ${dir}...`);
  const rnd = rng(70);
  const words = Array.from({ length: 1500 }, (_, i) => (((i + 11) * 2654435761) % 4294967296).toString(36).slice(0, 3 + (i % 8)));
  let bytes = 0;
  const made = new Set<string>();
  for (let i = 0; i < count; i++) {
    const size = Math.round(1024 * Math.pow(64, rnd(10000) / 10000));
    const tenant = `tenant-${i % 97}`;
    const folder = path.join(dir, tenant, String(2021 + (i % 5)), String(1 + (i % 12)).padStart(2, '0'));
    if (!made.has(folder)) (fs.mkdirSync(folder, { recursive: true }), made.add(folder));
    let data: Buffer;
    if (i % 2) {
      data = randomBytes(size);
    } else {
      const lines: string[] = [];
      let n = 0;
      while (n < size) {
        const line = `{"id":${rnd(1e7)},"tenant":"${tenant}","at":"2026-0${1 + rnd(9)}-1${rnd(10)}T0${rnd(10)}:${10 + rnd(50)}:00Z","note":"${Array.from({ length: 3 + rnd(9) }, () => words[rnd(words.length)]).join(' ')}"}\n`;
        lines.push(line);
        n += line.length;
      }
      data = Buffer.from(lines.join('')).subarray(0, size);
    }
    fs.writeFileSync(path.join(folder, `${i % 2 ? 'scan' : 'note'}-${i}.${i % 2 ? 'jpg' : 'json'}`), data);
    bytes += data.length;
  }
  const tree = { dir, count, bytes };
  fs.writeFileSync(marker, JSON.stringify(tree, null, 2));
  return tree;
}
