import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { pruneStaleDist } = require('../../scripts/prune-stale-dist.js') as { pruneStaleDist: (libDir: string) => string[] };

describe('prepack: compiled files whose source is gone stay out of the tarball', () => {
  it('removes the outputs of a renamed source and keeps every output that has its source', () => {
    const lib = fs.mkdtempSync(path.join(os.tmpdir(), 'nb-prune-'));
    try {
      const write = (rel: string) => {
        fs.mkdirSync(path.dirname(path.join(lib, rel)), { recursive: true });
        fs.writeFileSync(path.join(lib, rel), '//');
      };
      write('src/index.ts');
      write('src/archive/entry-worker.pool.ts');
      const kept = [
        'dist/index.js',
        'dist/index.d.ts',
        'dist/index.js.map',
        'dist/archive/entry-worker.pool.js',
        'dist/archive/entry-worker.pool.d.ts.map',
      ];
      // What a local build kept after entry-encoder.ts was renamed.
      const stale = [
        'dist/archive/entry-encoder.pool.js',
        'dist/archive/entry-encoder.pool.d.ts',
        'dist/archive/entry-encoder.pool.js.map',
        'dist/notes.txt',
      ];
      for (const f of [...kept, ...stale]) write(f);

      expect(pruneStaleDist(lib).sort()).toEqual(stale.map((f) => path.normalize(f)).sort());
      for (const f of kept) expect(fs.existsSync(path.join(lib, f))).toBe(true);
      for (const f of stale) expect(fs.existsSync(path.join(lib, f))).toBe(false);
    } finally {
      fs.rmSync(lib, { recursive: true, force: true });
    }
  });

  it('is the library package’s prepack step, so `npm pack` runs it', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '../../libs/backup/package.json'), 'utf8')) as {
      scripts?: Record<string, string>;
    };
    expect(pkg.scripts?.prepack).toBe('node ../../scripts/prune-stale-dist.js');
  });
});
