/**
 * `npm run drill:backup-kill`: the full backup kill drill, 20 rounds (DRILL_ROUNDS to change;
 * DRILL_UPLOADS for the tree's small files, default 3,000), against the compiled CLI.
 * Prints one line per round and the counts; exits 1 if an archive under a backup's name was
 * broken, a run failed on its own, or the last run was not whole.
 */
import { resolve } from 'node:path';
import { runBackupKillDrill } from '../test/faults/backup-kill.drill';

async function main(): Promise<void> {
  const rounds = Number(process.env.DRILL_ROUNDS ?? 20);
  const uploads = Number(process.env.DRILL_UPLOADS ?? 3000);
  const cli = resolve(__dirname, '../apps/demo/src/cli.js');
  const c = await runBackupKillDrill({ rounds, uploads, cli, log: (l) => console.log(l) });
  console.log('\nBackup kill drill');
  console.log(
    `${c.rounds} rounds: ${c.killedMidRun} killed mid-run, ${c.finishedBeforeKill} finished before the kill; ` +
      `${c.zipsTested} archives tested with 7-Zip, ${c.zipsBroken} broken; at most ${c.mostPartsAfterKill} .part file(s) after a kill; ` +
      `last run ${c.lastRunOk ? 'whole' : 'NOT whole'} (${c.uploadsCompared} uploads byte-identical)`,
  );
  for (const p of c.problems) console.log(`  problem: ${p}`);
  if (c.problems.length || c.zipsBroken || !c.lastRunOk) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
