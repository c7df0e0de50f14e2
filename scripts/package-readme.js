#!/usr/bin/env node
'use strict';
/**
 * Writes libs/backup/README.md, the page npm shows, from the repository README: the user
 * documentation (what it is, using it in an app, configuration, commands, the restore's
 * guarantees, the archive format), not the workspace's own sections (the two commands,
 * architecture, choices, performance, layout). Configuration errors point at "Configuration",
 * so that section must be in the package.
 *
 *   node scripts/package-readme.js          write it
 *   node scripts/package-readme.js --check  exit 1 when the committed file is not what it would write
 *
 * test/packaging/package-readme.e2e.ts runs the check, so an edit of the README that is not
 * carried over to the package is a red test, not a stale npm page.
 */
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const SOURCE = path.join(ROOT, 'README.md');
const TARGET = path.join(ROOT, 'libs', 'backup', 'README.md');
/** The repository README's level-2 sections the package carries, in this order. */
const SECTIONS = [
  'Using it in your app',
  'Configuration',
  'Commands',
  'Admin API and dashboard',
  'What the restore guarantees',
  'Archive format',
];

function sectionsOf(markdown) {
  const out = new Map();
  let title;
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) inFence = !inFence;
    const heading = !inFence && /^## (.+)$/.exec(line);
    if (heading) {
      title = heading[1].trim();
      out.set(title, [line]);
    } else if (title) out.get(title).push(line);
  }
  for (const [k, lines] of out) out.set(k, lines.join('\n').trimEnd());
  return out;
}

function packageReadme(markdown = fs.readFileSync(SOURCE, 'utf8')) {
  const lines = markdown.split('\n');
  const introEnd = lines.findIndex((l) => l.startsWith('The library lives in'));
  if (introEnd < 0) throw new Error('README.md: the introduction ends at "The library lives in ...", which is missing');
  const intro = lines.slice(0, introEnd).join('\n').trimEnd();
  const sections = sectionsOf(markdown);
  const missing = SECTIONS.filter((s) => !sections.has(s));
  if (missing.length) throw new Error(`README.md lacks the section(s) the package carries: ${missing.join(', ')}`);
  return (
    [
      '<!-- Written by scripts/package-readme.js from the repository README; edit that one. -->',
      intro,
      '## Installation\n\n```bash\nnpm install nest-backup\n```\n\nPlus the optional peers your app uses (below). Paths such as `libs/backup/src/...` name\nfiles of the source repository; the package holds their compiled form under `dist/`.',
      ...SECTIONS.map((s) => sections.get(s)),
    ].join('\n\n') + '\n'
  );
}

module.exports = { packageReadme, SECTIONS };

if (require.main === module) {
  const text = packageReadme();
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(TARGET) ? fs.readFileSync(TARGET, 'utf8') : '';
    if (current !== text) {
      process.stderr.write(
        `${path.relative(ROOT, TARGET)} is not what scripts/package-readme.js writes from README.md: run \`npm run readme:package\`.\n`,
      );
      process.exit(1);
    }
  } else {
    fs.writeFileSync(TARGET, text);
    process.stdout.write(`Wrote ${path.relative(ROOT, TARGET)} (${text.split('\n').length} lines).\n`);
  }
}
