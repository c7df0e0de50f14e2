/**
 * The backup kill drill, a few rounds (the full count: `npm run drill:backup-kill`): backup:run of
 * thousands of small uploads and a SQLite database killed with SIGKILL at random moments. Every
 * `.zip` left in the folder is complete; the last run cleans up what the kills left and backs up
 * every upload byte for byte.
 */
import { resolve } from 'node:path';
import { runBackupKillDrill } from './backup-kill.drill';

const CLI = resolve(__dirname, '../../dist/apps/demo/src/cli.js');

describe('backup kill drill', () => {
  it('4 backups killed with SIGKILL at random moments: no broken archive under a backup name; the next run cleans up and is whole', async () => {
    const counts = await runBackupKillDrill({ rounds: 4, cli: CLI, uploads: 1500, log: (l) => process.stdout.write(l + '\n') });
    expect(counts.problems).toEqual([]);
    expect(counts.rounds).toBe(4);
    expect(counts.zipsBroken).toBe(0);
    expect(counts.zipsTested).toBeGreaterThanOrEqual(1);
    expect(counts.lastRunOk).toBe(true);
    expect(counts.uploadsCompared).toBe(1503);
  }, 600_000);
});
