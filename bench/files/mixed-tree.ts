import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The `mixed` tree of issue 20: what a real app's storage holds beside many small uploads. */
export interface MixedTree {
  dir: string;
  images: number;
  texts: number;
  bytes: number;
}

const IMAGES = 300;
const IMAGE_BYTES = 200 * 1024;
const TEXTS = 600;

/** A log-like text file: repetitive lines with changing numbers, deflates to about a tenth. */
function textFile(seed: number): string {
  const lines: string[] = [];
  let bytes = 0;
  const target = 60 * 1024 + ((seed * 7919) % (40 * 1024)); // 60–100 KiB
  for (let i = 0; bytes < target; i++) {
    const line = `2026-11-${String(1 + (i % 28)).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}:${String((i * 7) % 60).padStart(2, '0')}:00Z INFO tenant=${seed % 40} request=${seed * 100000 + i} path=/api/v1/invoices/${(i * 31) % 5000} status=200 duration_ms=${(i * 13) % 900}\n`;
    lines.push(line);
    bytes += line.length;
  }
  return lines.join('');
}

/**
 * 300 random 200 KiB "images" (incompressible: 60 MiB) and 600 log-like text files of 60–100 KiB
 * (~47 MiB that deflate well), in two folders, as issue 20 measured it (a 107 MB tree).
 * Generated once under `cacheDir` and reused.
 */
export function ensureMixedTree(cacheDir: string, log: (m: string) => void): MixedTree {
  const dir = path.join(cacheDir, 'files');
  const marker = path.join(cacheDir, 'tree.json');
  if (fs.existsSync(marker) && fs.existsSync(dir)) {
    log(`Using the cached mixed tree (${cacheDir})`);
    return JSON.parse(fs.readFileSync(marker, 'utf8')) as MixedTree;
  }
  fs.rmSync(cacheDir, { recursive: true, force: true });
  log('Generating the mixed tree (300 random 200 KiB images, 600 log-like text files)...');
  let bytes = 0;
  for (let i = 0; i < IMAGES; i++) {
    const file = path.join(dir, 'images', String(i % 10), `img-${i}.jpg`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, randomBytes(IMAGE_BYTES));
    bytes += IMAGE_BYTES;
  }
  for (let i = 0; i < TEXTS; i++) {
    const file = path.join(dir, 'logs', String(i % 20), `app-${i}.log`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const text = textFile(i + 1);
    fs.writeFileSync(file, text);
    bytes += Buffer.byteLength(text);
  }
  const tree: MixedTree = { dir, images: IMAGES, texts: TEXTS, bytes };
  fs.writeFileSync(marker, JSON.stringify(tree));
  return tree;
}
