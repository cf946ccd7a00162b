// The bare baseline of the command-load row, in its own fresh process like the bridge (a spawn's
// cost grows with the spawning process's memory, so the bench process, after the 200 MB rows,
// would be a moving baseline): `node bare-spawner.mjs <command> <callers> <seconds> [warm-up spawns]`
// prints the spawns per second (and this process's CPU per spawn) of `callers` loops each awaiting
// execa(command) back to back, after the warm-up (as many spawns as the bridge's warm-up has runs;
// 1 s without one).
import { execa } from 'execa';

const [command, callers, seconds, warmUpSpawns] = process.argv.slice(2);
const spawnFor = async (ms) => {
  const until = performance.now() + ms;
  let count = 0;
  await Promise.all(
    Array.from({ length: Number(callers) }, async () => {
      while (performance.now() < until) {
        await execa(command, [], { stdin: 'ignore' });
        count++;
      }
    }),
  );
  return count;
};
if (warmUpSpawns === undefined) await spawnFor(1000);
else {
  let left = Number(warmUpSpawns);
  await Promise.all(
    Array.from({ length: Number(callers) }, async () => {
      while (left-- > 0) await execa(command, [], { stdin: 'ignore' });
    }),
  );
}
const started = performance.now();
const cpuBefore = process.cpuUsage();
const count = await spawnFor(Number(seconds) * 1000);
const cpu = process.cpuUsage(cpuBefore);
process.stdout.write(`${JSON.stringify({ spawnsPerSecond: count / ((performance.now() - started) / 1000), cpuMsPerSpawn: (cpu.user + cpu.system) / 1000 / count })}\n`);
