/**
 * Preloaded (`node -r`) by `npm run bench:startup` into every timed command: writes the process's
 * CPU time (user + system, ms) to CPU_TIME_OUT at exit. Wall time on a machine shared with other
 * work mostly measures the waiting; the CPU time a start-up costs moves much less.
 */
import * as fs from 'node:fs';

const out = process.env.CPU_TIME_OUT;
if (out) {
  process.once('exit', () => {
    const { user, system } = process.cpuUsage();
    fs.writeFileSync(out, String((user + system) / 1000));
  });
}
