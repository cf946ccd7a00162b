import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { ProcessExit } from '../../src/processes/process-runner.js';
import { SPAWN_HELPERS, SpawnHelperPool } from '../../src/processes/spawn-helper-pool.js';

const specOf = (command: string, args: string[] = []) => ({ command, args, cwd: process.cwd(), env: { PATH: process.env.PATH ?? '' }, detached: true });

/** Spawns `sh -c 'echo $PPID'` through the pool: resolves with the pid of the helper that spawned it. */
function helperOf(pool: SpawnHelperPool): Promise<number> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    pool.spawn(
      specOf('sh', ['-c', 'echo $PPID']),
      {
        onSpawned: () => {},
        onOutput: (_stream, chunk) => void chunks.push(chunk),
        onExit: (exit: ProcessExit) => {
          if (exit.exitCode !== 0) reject(new Error(`the child ended ${JSON.stringify(exit)}`));
          else resolve(Number(Buffer.concat(chunks).toString('utf8')));
        },
      },
    );
  });
}

describe.runIf(process.platform === 'linux')('a pool of spawn helpers', () => {
  it('sends spawns one after another to its first helper only', async () => {
    const pool = new SpawnHelperPool(2);
    const helpers: number[] = [];
    for (let i = 0; i < 3; i++) helpers.push(await helperOf(pool));
    expect(new Set(helpers).size).toBe(1);
  });

  it('spreads spawns that overlap over its helpers, each to the one with the fewest unanswered', async () => {
    const pool = new SpawnHelperPool(2);
    // Sent in one tick, before any helper could answer: they alternate between the two.
    const helpers = await Promise.all(Array.from({ length: 4 }, () => helperOf(pool)));
    expect(new Set(helpers).size).toBe(2);
    expect(helpers[0]).toBe(helpers[2]);
    expect(helpers[1]).toBe(helpers[3]);
  });

  it('by default has three helpers on a machine of several cores (one on a single core), and spreads overlapping spawns over all of them', async () => {
    expect(SPAWN_HELPERS).toBe(availableParallelism() > 1 ? 3 : 1);
    const pool = new SpawnHelperPool();
    const helpers = await Promise.all(Array.from({ length: 2 * SPAWN_HELPERS }, () => helperOf(pool)));
    expect(new Set(helpers).size).toBe(SPAWN_HELPERS);
  });

  it('counts a spawn the system refused as answered', async () => {
    const pool = new SpawnHelperPool(2);
    const first = await helperOf(pool);
    const refused = await new Promise<ProcessExit>((resolve) =>
      pool.spawn(specOf('osloop-no-such-command'), { onSpawned: () => {}, onOutput: () => {}, onExit: resolve }),
    );
    expect(refused).toEqual({ exitCode: null, signal: null, spawnError: 'ENOENT' });
    expect(await helperOf(pool)).toBe(first);
  });

  it('with one helper, sends every spawn to it', async () => {
    const pool = new SpawnHelperPool(1);
    const helpers = await Promise.all(Array.from({ length: 3 }, () => helperOf(pool)));
    expect(new Set(helpers).size).toBe(1);
  });

  it('refuses a size that is not a positive integer', () => {
    for (const size of [0, -1, 1.5, Number.NaN]) expect(() => new SpawnHelperPool(size)).toThrow(RangeError);
  });
});
