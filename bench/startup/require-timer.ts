/**
 * Preloaded (`node -r`) by `BENCH_PROFILE=1 npm run bench:startup`: how long the CLI spends
 * loading each package, as self time (a file's load minus the files it requires), summed per
 * package and, for the library, per folder. Written as JSON to REQUIRE_TIMER_OUT at exit.
 * The hook adds its own overhead (~10%); the figures rank the packages, they are not exact.
 */
import * as fs from 'node:fs';
import Module = require('node:module');

type Load = (request: string, parent: NodeModule | undefined, isMain: boolean) => unknown;
const internals = Module as unknown as {
  _load: Load;
  _resolveFilename: (request: string, parent: NodeModule | undefined, isMain: boolean) => string;
  _cache: Record<string, unknown>;
};

/** "typeorm", "@nestjs/core", "nest-backup/config" (a library folder), "app". */
export function packageOf(file: string): string {
  const i = file.lastIndexOf('node_modules/');
  if (i < 0) {
    const lib = /\/libs\/backup\/(?:dist\/|src\/)?([^/]+)/.exec(file);
    return lib ? `nest-backup/${lib[1].replace(/\.js$/, '')}` : 'app';
  }
  const parts = file.slice(i + 'node_modules/'.length).split('/');
  return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

const out = process.env.REQUIRE_TIMER_OUT;
if (out) {
  const self = new Map<string, { ms: number; files: number }>();
  const childTime: bigint[] = [];
  const load = internals._load;
  const builtin = new Set(Module.builtinModules);
  internals._load = function (this: unknown, request, parent, isMain) {
    if (request.startsWith('node:') || builtin.has(request)) return load.call(this, request, parent, isMain);
    let file: string;
    try {
      file = internals._resolveFilename(request, parent, isMain);
    } catch {
      return load.call(this, request, parent, isMain);
    }
    if (internals._cache[file]) return load.call(this, request, parent, isMain);
    const started = process.hrtime.bigint();
    childTime.push(0n);
    try {
      return load.call(this, request, parent, isMain);
    } finally {
      const took = process.hrtime.bigint() - started;
      const children = childTime.pop()!;
      if (childTime.length) childTime[childTime.length - 1] += took;
      const entry = self.get(packageOf(file)) ?? { ms: 0, files: 0 };
      entry.ms += Number(took - children) / 1e6;
      entry.files += 1;
      self.set(packageOf(file), entry);
    }
  };
  process.once('exit', () => {
    fs.writeFileSync(out, JSON.stringify({ uptimeMs: process.uptime() * 1000, packages: Object.fromEntries(self) }));
  });
}
