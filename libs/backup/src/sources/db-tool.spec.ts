import { ChildProcess } from 'node:child_process';
import { findOnPath, spawnTool } from './db-tool';

function run(child: ChildProcess): Promise<{ out: string; code: number | null; error?: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    let out = '';
    child.stdout?.on('data', (c) => (out += c));
    child.on('error', (error: NodeJS.ErrnoException) => resolve({ out, code: null, error }));
    child.on('close', (code) => resolve({ out, code }));
  });
}

describe('spawnTool', () => {
  const sh = findOnPath(['sh'])!;
  const hasStdbuf = process.platform === 'linux' && findOnPath(['stdbuf']) !== undefined;

  it('gives a dump tool a 1 MiB stdio output buffer and a load tool a 1 MiB input buffer where coreutils stdbuf exists', async () => {
    const env = { PATH: process.env.PATH };
    const mib = hasStdbuf ? '1048576' : ''; // without stdbuf the tool runs as it is
    const out = await run(spawnTool(sh, ['-c', 'echo "o=$_STDBUF_O i=$_STDBUF_I"'], env, ['ignore', 'pipe', 'pipe'], 'output'));
    expect(out).toEqual({ out: `o=${mib} i=\n`, code: 0 });
    const input = await run(spawnTool(sh, ['-c', 'echo "o=$_STDBUF_O i=$_STDBUF_I"'], env, ['ignore', 'pipe', 'pipe'], 'input'));
    expect(input.out).toBe(`o= i=${mib}\n`);
  });

  it('spawns a tool that is not found as itself, so the caller still sees ENOENT', async () => {
    const missing = await run(spawnTool('/nonexistent/pg_dump', [], {}, ['ignore', 'pipe', 'pipe'], 'output'));
    expect(missing.error?.code).toBe('ENOENT');
    const bare = await run(spawnTool('no-such-tool-here', [], { PATH: process.env.PATH }, ['ignore', 'pipe', 'pipe'], 'output'));
    expect(bare.error?.code).toBe('ENOENT');
  });
});
