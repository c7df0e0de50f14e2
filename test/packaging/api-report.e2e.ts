/**
 * The public surface is a decision, not an accident: libs/backup/etc/nest-backup.api.md (API
 * Extractor's report of what `nest-backup` exports, built from dist/index.d.ts) must match the
 * built declarations. A change to the exports fails here until the report is updated with
 * `npm run api:update` and committed, so it shows in review. Needs `npm run build` (npm test does).
 */
import * as path from 'node:path';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const LIB = path.resolve(__dirname, '../../libs/backup');

describe('the public API of nest-backup', () => {
  it('is exactly what etc/nest-backup.api.md records (run `npm run api:update` after changing the exports)', () => {
    const config = ExtractorConfig.loadFileAndPrepare(path.join(LIB, 'api-extractor.json'));
    const messages: string[] = [];
    const result = Extractor.invoke(config, {
      localBuild: false,
      messageCallback: (m) => {
        if (m.logLevel === 'error' || m.logLevel === 'warning') messages.push(m.text);
        m.handled = true;
      },
    });
    expect({ apiReportChanged: result.apiReportChanged, errors: result.errorCount, messages }).toEqual({
      apiReportChanged: false,
      errors: 0,
      messages: [],
    });
  });

  it('exports the documented API only, not the internals the index used to carry', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const api = require(path.join(LIB, 'dist/index.js')) as Record<string, unknown>;
    for (const name of [
      'BackupModule',
      'BackupService',
      'RetentionPolicy',
      'HealthMonitor',
      'Notifier',
      'RestoreService',
      'VerifyService',
      'CliLogger',
      'backupOptionsFromConfig',
    ]) {
      expect(api[name]).toBeDefined();
    }
    for (const internal of ['list', 'who', 'secretsOf', 'withRetries', 'mailBody', 'ZipWriter', 'DestinationRegistry', 'audited']) {
      expect(api[internal]).toBeUndefined();
    }
  });
});
