import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ListCommand } from '../../libs/backup/src/cli/list.command';
import { CleanCommand } from '../../libs/backup/src/cli/clean.command';
import { BackupEvents } from '../../libs/backup/src/events/backup.events';
import { formatBytes } from '../../libs/backup/src/listing/size.format';
import { planRetention } from '../../libs/backup/src/retention/retention.plan';
import { listFiles } from '../support/cli';
import { startS3Server, TestS3Server } from '../support/s3.server';
import { APP, backupSet, capture, harness, Harness, optionsFor, SeededBackup, UNRELATED, writeLocal, writeS3 } from './catalog.fixtures';

// Frozen clock (Date only; real timers) so the plan the test computes and the one the
// commands apply use the same "now".
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);

describe('backup:list and backup:clean over 2,000 backups on the local disk and s3rver', () => {
  let s3: TestS3Server;
  let root: string;
  let h: Harness;
  let backups: SeededBackup[];

  const localKeys = async () =>
    listFiles(root)
      .map((f) => f.split(path.sep).join('/'))
      .filter((k) => !k.startsWith('.'));
  const s3Keys = () => s3.listKeys();
  const keysOn = (disk: string) => (disk === 'local' ? localKeys() : s3Keys());
  const sum = (items: Array<{ size: number }>) => items.reduce((s, b) => s + b.size, 0);

  beforeAll(async () => {
    jest.useFakeTimers({
      now: NOW,
      doNotFake: [
        'nextTick',
        'setImmediate',
        'clearImmediate',
        'setTimeout',
        'clearTimeout',
        'setInterval',
        'clearInterval',
        'queueMicrotask',
        'hrtime',
        'performance',
      ],
    });
    s3 = await startS3Server();
    root = await mkdtemp(path.join(tmpdir(), 'catalog-e2e-'));
    backups = backupSet(2000, NOW);
    await Promise.all([writeLocal(root, [...backups, ...UNRELATED]), writeS3(s3, [...backups, ...UNRELATED])]);
    h = await harness(optionsFor(root, s3));
  });

  afterAll(async () => {
    jest.useRealTimers();
    await h?.module.close();
    await s3?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('backup:list counts only this app’s backups and sums their sizes, on both disks', async () => {
    const json = await capture(() => h.module.get(ListCommand).run([], { json: true }));
    expect(json.exitCode).toBe(0);
    const rows = JSON.parse(json.out);
    const newest = [...backups].sort((a, b) => b.date.getTime() - a.date.getTime())[0];
    for (const disk of ['local', 's3']) {
      expect(rows.find((r: any) => r.disk === disk)).toMatchObject({
        name: APP,
        reachable: true,
        count: 2000,
        usedBytes: sum(backups),
        newestBackup: newest.key,
      });
    }

    const table = await capture(() => h.module.get(ListCommand).run([], {}));
    const lines = table.out.split('\n');
    expect(lines[1]).toMatch(/\| Name +\| Disk +\| Reachable \| Healthy \| # of backups \| Newest backup +\| Used storage \|/);
    for (const disk of ['local', 's3']) {
      const row = lines.find((l) => l.includes(`| ${disk} `))!;
      expect(row).toContain(`| ${APP} `);
      expect(row).toMatch(/\| +2000 \|/);
      expect(row).toContain(`${formatBytes(sum(backups))} |`);
      expect(row).toContain(' days (');
    }
  });

  it('backup:clean --dry-run prints the plan and deletes nothing', async () => {
    const before = { local: await localKeys(), s3: await s3Keys() };
    const expected = planRetention(backups, NOW, optionsFor(root, s3).retention);
    const { out, exitCode } = await capture(() => h.module.get(CleanCommand).run([], { dryRun: true }));
    expect(exitCode).toBe(0);
    expect(out).toContain('Dry run: nothing is deleted.');
    for (const key of expected.delete.slice(0, 20)) expect(out).toContain(`would delete ${key} (`);
    expect(out.split('\n').filter((l) => l.includes('would delete ' + APP))).toHaveLength(expected.delete.length * 2);
    expect(await localKeys()).toEqual(before.local);
    expect(await s3Keys()).toEqual(before.s3);
    expect(h.events.filter((e) => e.name.startsWith('backup.cleanup'))).toEqual([]);
  });

  it('backup:clean leaves exactly what planRetention plans and every unrelated file', async () => {
    const retention = optionsFor(root, s3).retention;
    const expected = planRetention(backups, NOW, retention);
    expect(expected.delete.length).toBeGreaterThan(1500); // the set really exercises every period
    h.events.length = 0;

    const { out, exitCode } = await capture(() => h.module.get(CleanCommand).run([], { disableNotifications: true }));
    expect(exitCode).toBe(0);
    const keptBytes = sum(backups.filter((b) => expected.keep.includes(b.key)));
    for (const disk of ['local', 's3']) {
      expect(await keysOn(disk)).toEqual([...expected.keep, ...UNRELATED.map((u) => u.key)].sort());
      expect(out).toContain(
        `✔ ${disk}: deleted ${expected.delete.length} backup(s), ${formatBytes(sum(backups) - keptBytes)}; ` +
          `${expected.keep.length} backup(s) remain, using ${formatBytes(keptBytes)}.`,
      );
    }
    const oneDeleted = expected.delete[100];
    expect(out).toContain(`deleted ${oneDeleted} (`);
    expect(out).toContain(expected.reasons[oneDeleted]);

    expect(h.events.map((e) => [e.name, e.payload.destination, e.payload.deleted.length, e.payload.usedBytesAfter, e.meta])).toEqual([
      [BackupEvents.CleanupSucceeded, 'local', expected.delete.length, keptBytes, { disableNotifications: true }],
      [BackupEvents.CleanupSucceeded, 's3', expected.delete.length, keptBytes, { disableNotifications: true }],
    ]);

    // And the listing agrees afterwards.
    const rows = JSON.parse((await capture(() => h.module.get(ListCommand).run([], { json: true }))).out);
    expect(rows.map((r: any) => [r.disk, r.count, r.usedBytes])).toEqual([
      ['local', expected.keep.length, keptBytes],
      ['s3', expected.keep.length, keptBytes],
    ]);
  });
});
