import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeRestoreDebris } from './debris';

describe('removeRestoreDebris: temporary files', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'debris-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const temp = (i: number) => `.scan-${i}.pdf.restore-0123456789ab.tmp`;

  it('removes every temporary file, names the first five and counts the rest in one line', async () => {
    const a = join(root, 'a');
    const b = join(root, 'b');
    mkdirSync(a);
    mkdirSync(b);
    for (let i = 0; i < 30; i++) writeFileSync(join(i % 2 ? a : b, temp(i)), 'x');
    // Not a restore's temporary file: kept.
    writeFileSync(join(a, 'scan-1.pdf'), 'kept');
    writeFileSync(join(a, '.scan-2.pdf.restore-xyz.tmp'), 'kept');

    const lines = await removeRestoreDebris({ appName: 'app', connections: [], folders: [a, b] });

    expect(readdirSync(a).sort()).toEqual(['.scan-2.pdf.restore-xyz.tmp', 'scan-1.pdf']);
    expect(readdirSync(b)).toEqual([]);
    expect(lines).toHaveLength(6);
    expect(lines.slice(0, 5).every((l) => /^temporary file .*\.restore-0123456789ab\.tmp$/.test(l))).toBe(true);
    expect(lines[5]).toBe('25 more temporary files (.<name>.restore-<id>.tmp) in 2 folders');
  });

  it('names each one when there are few', async () => {
    writeFileSync(join(root, temp(1)), 'x');
    writeFileSync(join(root, temp(2)), 'x');
    const lines = await removeRestoreDebris({ appName: 'app', connections: [], folders: [root, join(root, 'missing')] });
    expect(lines.sort()).toEqual([`temporary file ${join(root, temp(1))}`, `temporary file ${join(root, temp(2))}`]);
    expect(readdirSync(root)).toEqual([]);
  });
});
