/**
 * `npm run drill:restore-kill`: the full restore kill drill, 20 rounds on PostgreSQL and 20 on
 * MariaDB (DRILL_ROUNDS to change; DRILL_JOBS=2 loads over two client sessions), against the
 * servers on 127.0.0.1 and the compiled CLI.
 * Prints one line per round and the counts; exits 1 if any round ended in neither state, a
 * second restore failed or anything was left behind.
 */
import { resolve } from 'node:path';
import { DrillCounts, runRestoreKillDrill } from '../test/faults/restore-kill.drill';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { removeDeadStagingDatabases } = require(resolve(__dirname, '../../libs/backup/dist/restore/staging.debris'));

async function main(): Promise<void> {
  const rounds = Number(process.env.DRILL_ROUNDS ?? 20);
  const jobs = process.env.DRILL_JOBS ? Number(process.env.DRILL_JOBS) : undefined;
  const cli = resolve(__dirname, '../apps/demo/src/cli.js');
  const all: DrillCounts[] = [];
  for (const engine of ['postgres', 'mariadb'] as const) {
    all.push(await runRestoreKillDrill({ engine, rounds, jobs, cli, recover: removeDeadStagingDatabases, log: (l) => console.log(l) }));
  }
  console.log('\nRestore kill drill');
  for (const c of all) {
    console.log(
      `${c.engine}: ${c.rounds} rounds; kills by phase ${JSON.stringify(c.killsByPhase)}; ` +
        `at the kill: ${c.atKill.before} before, ${c.atKill.after} after, ${c.atKill.neither} neither; ` +
        `after recovery: ${c.afterRecovery.before} before, ${c.afterRecovery.after} after, ${c.afterRecovery.neither} neither; ` +
        `second restore ok ${c.secondRestoreOk}/${c.rounds}; leftovers ${c.leftovers}`,
    );
    for (const p of c.problems) console.log(`  problem: ${p}`);
  }
  if (all.some((c) => c.problems.length || c.afterRecovery.neither || c.leftovers || c.secondRestoreOk !== c.rounds)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
