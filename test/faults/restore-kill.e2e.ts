/**
 * The restore kill drill, a few rounds per engine (the full 20 + 20: `npm run drill:restore-kill`):
 * `backup:restore` killed with SIGKILL at a random moment, during the swap, and during the swap
 * while another connection holds a transaction open on a live table. Once the next restore's
 * first step (removeDeadStagingDatabases) has run, the live database equals the state before or
 * after the restore; the second restore completes and leaves no scratch database or temp file.
 */
import { resolve } from 'node:path';
import { removeDeadStagingDatabases } from '../../libs/backup/src/restore/staging.debris';
import { runRestoreKillDrill } from './restore-kill.drill';

const CLI = resolve(__dirname, '../../dist/apps/demo/src/cli.js');

// The third: MariaDB loading over two client sessions (BACKUP_RESTORE_JOBS=2), killed as it loads.
describe.each([
  ['postgres', 1, 3],
  ['mariadb', 1, 3],
  ['mariadb', 2, 2],
] as const)('restore kill drill on %s, %i client session(s)', (engine, jobs, rounds) => {
  it(`${rounds} restores killed with SIGKILL: the live database is whole, old or new; a second restore completes and leaves nothing`, async () => {
    const counts = await runRestoreKillDrill({
      engine,
      rounds,
      jobs,
      cli: CLI,
      recover: removeDeadStagingDatabases,
      log: (l) => process.stdout.write(l + '\n'),
    });
    expect(counts.problems).toEqual([]);
    expect(counts.rounds).toBe(rounds);
    expect(counts.afterRecovery.neither).toBe(0);
    expect(counts.secondRestoreOk).toBe(rounds);
    expect(counts.leftovers).toBe(0);
  }, 600_000);
});
