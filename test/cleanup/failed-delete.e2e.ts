import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CleanCommand } from '../../libs/backup/src/cli/clean.command';
import { LocalDestination } from '../../libs/backup/src/destinations/local.destination';
import { BackupEvents } from '../../libs/backup/src/events/backup.events';
import { planRetention } from '../../libs/backup/src/retention/retention.plan';
import { APP, backupSet, capture, harness, optionsFor, writeLocal } from '../catalog/catalog.fixtures';
import { listFiles } from '../support/cli';

/**
 * A real local disk whose delete refuses one key, as a read-only file or a bucket policy would.
 * (Tests run as root, so chmod cannot make a file undeletable.)
 */
class RefusingLocalDestination extends LocalDestination {
  readonly attempts: string[] = [];
  constructor(
    root: string,
    private readonly refused: string,
  ) {
    super({ name: 'refusing', root });
  }
  async delete(key: string): Promise<void> {
    this.attempts.push(key);
    if (key === this.refused) throw new Error(`EACCES: permission denied, unlink '${key}'`);
    return super.delete(key);
  }
}

describe('backup:clean when one delete fails', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'cleanup-e2e-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reports the failure, deletes every other planned backup once, and exits 1', async () => {
    const now = new Date();
    const backups = backupSet(300, now, 7);
    await writeLocal(root, backups);
    const base = optionsFor(root, undefined);
    const expected = planRetention(backups, now, base.retention);
    const refused = expected.delete[10];
    const destination = new RefusingLocalDestination(root, refused);
    const h = await harness({ ...base, disks: ['refusing'], destinations: [destination] });
    try {
      const { out, exitCode } = await capture(() => h.module.get(CleanCommand).run([], {}));

      expect(exitCode).toBe(1);
      expect(out).toContain(`✘ could not delete ${refused}: EACCES: permission denied`);
      expect(out).toContain(`; 1 deletion(s) FAILED;`);
      expect(destination.attempts.sort()).toEqual([...expected.delete].sort());
      const left = listFiles(root)
        .map((f) => f.split(path.sep).join('/'))
        .filter((k) => k.startsWith(`${APP}/`));
      expect(left).toEqual([...expected.keep, refused].sort());

      const failed = h.events.filter((e) => e.name === BackupEvents.CleanupFailed);
      expect(failed).toHaveLength(1);
      expect(failed[0].payload).toMatchObject({ appName: APP, destination: 'refusing' });
      expect(failed[0].payload.error).toContain(refused);
      expect(h.events.some((e) => e.name === BackupEvents.CleanupSucceeded)).toBe(false);
    } finally {
      await h.module.close();
    }
  });
});
