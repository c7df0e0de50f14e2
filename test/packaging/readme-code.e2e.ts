/**
 * The README's examples compile as written. Every ```ts block whose first line names a file
 * (`// app.module.ts`) is written to that file in one folder and type-checked together, strict,
 * against the built package as a host resolves it (`nest-backup` through node_modules and its
 * exports map). Blocks without a file name are fragments and are not compiled.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '../..');

function namedBlocks(markdown: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const m of markdown.matchAll(/^( *)```ts\n([\s\S]*?)^\1```/gm)) {
    const code = m[2]
      .split('\n')
      .map((l) => l.slice(m[1].length))
      .join('\n');
    const name = /^\/\/ ([\w.-]+\.ts)\n/.exec(code)?.[1];
    if (name) blocks.set(name, code);
  }
  return blocks;
}

describe('README code blocks', () => {
  const dir = path.join(ROOT, '.tmp', `readme-code-${process.pid}`);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the app module, the CLI entry and the health module compile as written (strict)', () => {
    const blocks = namedBlocks(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
    expect([...blocks.keys()]).toEqual(expect.arrayContaining(['app.module.ts', 'cli.ts', 'health.module.ts']));
    fs.mkdirSync(dir, { recursive: true });
    const files = [...blocks].map(([name, code]) => {
      fs.writeFileSync(path.join(dir, name), code);
      return path.join(dir, name);
    });
    const program = ts.createProgram(files, {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.Node16,
      moduleResolution: ts.ModuleResolutionKind.Node16,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      skipLibCheck: true,
      types: ['node'],
    });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .map((d) => `${d.file ? path.basename(d.file.fileName) : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(problems).toEqual([]);
  });
});
