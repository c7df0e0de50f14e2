#!/usr/bin/env node
/**
 * Removes compiled files from libs/backup/dist whose source is gone. `tsc -b` never deletes an
 * output, so after a rename or removal a local build keeps the old .js/.d.ts, and `npm pack`
 * (which ships dist/**) put them in the tarball: code nobody maintains, loadable by a host.
 * Runs as the library's `prepack`; a clean clone has nothing to remove.
 *
 *   node scripts/prune-stale-dist.js [libDir]
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const OUTPUTS = ['.d.ts.map', '.js.map', '.d.ts', '.js'];

function pruneStaleDist(libDir) {
  const dist = path.join(libDir, 'dist');
  const src = path.join(libDir, 'src');
  const removed = [];
  if (!fs.existsSync(dist)) return removed;
  for (const entry of fs.readdirSync(dist, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const ending = OUTPUTS.find((e) => entry.name.endsWith(e));
    const base = ending ? path.relative(dist, file).slice(0, -ending.length) : undefined;
    if (base !== undefined && fs.existsSync(path.join(src, `${base}.ts`))) continue;
    fs.rmSync(file);
    removed.push(path.relative(libDir, file));
  }
  return removed;
}

if (require.main === module) {
  const libDir = path.resolve(process.argv[2] ?? path.join(__dirname, '../libs/backup'));
  const removed = pruneStaleDist(libDir);
  for (const f of removed) process.stdout.write(`removed ${f}: its source is gone (a stale build output)\n`);
}

module.exports = { pruneStaleDist };
