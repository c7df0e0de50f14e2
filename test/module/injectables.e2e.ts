/**
 * What the design card promises is injectable is resolved from BackupModule alone, with the
 * module's own settings (not a second copy the host must provide).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BackupService, HealthMonitor, Notifier, RetentionPolicy } from 'nest-backup';
import { harness, Harness, optionsFor } from '../catalog/catalog.fixtures';

describe('BackupModule providers', () => {
  let root: string;
  let h: Harness;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'nbt-inject-'));
    h = await harness(optionsFor(root, undefined, { BACKUP_MAX_COUNT: '2', BACKUP_KEEP_ALL_DAYS: '30' }));
  });
  afterAll(async () => {
    await h?.module.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('provides BackupService, HealthMonitor, Notifier and RetentionPolicy', () => {
    for (const token of [BackupService, HealthMonitor, Notifier, RetentionPolicy]) {
      expect(h.module.get(token, { strict: false })).toBeInstanceOf(token);
    }
  });

  it('RetentionPolicy plans with the module settings (BACKUP_MAX_COUNT=2)', () => {
    const now = new Date('2026-11-30T12:00:00Z');
    const backups = [1, 2, 3].map((d) => ({ key: `catalog-app/2026-11-2${d}-00-00-00.zip`, date: new Date(`2026-11-2${d}T00:00:00Z`), size: 10 }));
    const plan = h.module.get(RetentionPolicy, { strict: false }).plan(backups, now);
    expect(plan.keep).toEqual(['catalog-app/2026-11-23-00-00-00.zip', 'catalog-app/2026-11-22-00-00-00.zip']);
    expect(plan.delete).toEqual(['catalog-app/2026-11-21-00-00-00.zip']);
  });
});
