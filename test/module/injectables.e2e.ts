/**
 * What the design card promises is injectable is resolved from BackupModule alone, with the
 * module's own settings (not a second copy the host must provide).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  BackupService,
  HealthCheck,
  HealthMonitor,
  NotificationChannel,
  NotificationMessage,
  Notifier,
  RetentionPolicy,
} from 'nest-backup';
import { MemoryDestination } from '../catalog/memory.destination';
import { APP, harness, Harness, optionsFor } from '../catalog/catalog.fixtures';

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
    const backups = [1, 2, 3].map((d) => ({
      key: `catalog-app/2026-11-2${d}-00-00-00.zip`,
      date: new Date(`2026-11-2${d}T00:00:00Z`),
      size: 10,
    }));
    const plan = h.module.get(RetentionPolicy, { strict: false }).plan(backups, now);
    expect(plan.keep).toEqual(['catalog-app/2026-11-23-00-00-00.zip', 'catalog-app/2026-11-22-00-00-00.zip']);
    expect(plan.delete).toEqual(['catalog-app/2026-11-21-00-00-00.zip']);
  });
});

describe('extension points through the module options', () => {
  let root: string;
  let h: Harness;
  const received: NotificationMessage[] = [];
  const pager: NotificationChannel = { name: 'pager', send: async (m) => void received.push(m) };
  const drill: HealthCheck = { name: 'restore-drill', check: async () => 'No restore drill in 7 days' };
  const vault = new MemoryDestination('vault').put(`${APP}/2026-11-30-02-00-00.zip`, 4096, new Date());

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'nbt-ext-'));
    const options = optionsFor(root, undefined, { BACKUP_DISKS: 'vault', BACKUP_HEALTH_NOTIFICATIONS: 'pager' });
    h = await harness({ ...options, destinations: [vault], healthChecks: [drill], notificationChannels: [pager] });
  });
  afterAll(async () => {
    await h?.module.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("a host's destination, health check and channel take part in backup:monitor", async () => {
    const report = await h.module.get(HealthMonitor, { strict: false }).monitor();
    expect(report.healthy).toBe(false);
    expect(JSON.stringify(report)).toContain('No restore drill in 7 days');
    for (let i = 0; i < 50 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(received).toHaveLength(1);
    expect(received[0].text).toContain('No restore drill in 7 days');
    expect(received[0].text).toContain('vault');
  });

  it('a route to a channel the host did not give fails at start-up, naming it', async () => {
    const options = optionsFor(root, undefined, { BACKUP_HEALTH_NOTIFICATIONS: 'pagr' });
    await expect(harness({ ...options, notificationChannels: [pager] })).rejects.toThrow(/'pagr', which is not a notification channel/);
  });
});
