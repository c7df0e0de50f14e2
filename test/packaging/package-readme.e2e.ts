/**
 * The npm page carries the user documentation: libs/backup/README.md is what
 * scripts/package-readme.js writes from the repository README (installation, using it in an
 * app, every configuration variable, the commands, the restore's guarantees, the archive
 * format), and the section configuration errors point at is in it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BACKUP_ENV_KEYS } from '../../libs/backup/src/config/env.config';

const ROOT = path.resolve(__dirname, '../..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { packageReadme } = require(path.join(ROOT, 'scripts/package-readme.js')) as { packageReadme: () => string };
const committed = fs.readFileSync(path.join(ROOT, 'libs/backup/README.md'), 'utf8');

describe('the package README (the npm page)', () => {
  it('is what scripts/package-readme.js writes from README.md (run `npm run readme:package` after editing README.md)', () => {
    expect(committed).toBe(packageReadme());
  });

  it('has installation, usage, configuration, commands, the admin API, the restore guarantees and the archive format', () => {
    const headings = committed.split('\n').filter((l) => l.startsWith('## '));
    expect(headings).toEqual([
      '## Installation',
      '## Using it in your app',
      '## Configuration',
      '## Commands',
      '## Admin API and dashboard',
      '## What the restore guarantees',
      '## Archive format',
    ]);
  });

  it('documents every environment variable the library reads', () => {
    expect(BACKUP_ENV_KEYS.filter((k) => !committed.includes(`\`${k}\``))).toEqual([]);
  });

  it('holds the "Configuration" section that configuration errors point at', () => {
    const hint = fs.readFileSync(path.join(ROOT, 'libs/backup/src/config/backup-config.error.ts'), 'utf8');
    expect(hint).toContain('"Configuration"');
    expect(committed).toContain('\n## Configuration\n');
  });
});
