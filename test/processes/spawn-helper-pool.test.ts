import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ProcessExit } from '../../src/processes/process-runner.js';
import { SpawnHelperPool } from '../../src/processes/spawn-helper-pool.js';

interface Started {
  pid: number;
  exited: Promise<ProcessExit>;
}

/** Spawns `command` through the pool; resolves once it runs, with its pid and its exit to come. */
function spawnThrough(pool: SpawnHelperPool, command: string, args: string[]): Promise<Started> {
  return new Promise((resolve, reject) => {
    let resolveExit!: (exit: ProcessExit) => void;
    const exited = new Promise<ProcessExit>((done) => (resolveExit = done));
    pool.spawn(
      { command, args, cwd: process.cwd(), env: { PATH: process.env.PATH ?? '' }, detached: true },
      {
        onSpawned: (pid) => resolve({ pid, exited }),
        onOutput: () => {},
        onExit: (exit) => {
          resolveExit(exit);
          if (exit.spawnError) reject(new Error(`spawn failed: ${exit.spawnError}`));
        },
      },
    );
  });
}

/** The parent of a living process: which helper spawned it. */
function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

describe.runIf(process.platform === 'linux')('spawn helper pool', () => {
  it('sends spawns that overlap to different helpers, and one after another to the same one', async () => {
    const pool = new SpawnHelperPool(2);
    // Asked for together, before either helper answered: the second goes to the idle helper.
    const [first, second] = await Promise.all([spawnThrough(pool, 'sleep', ['30']), spawnThrough(pool, 'sleep', ['30'])]);
    try {
      expect(parentOf(first.pid)).not.toBe(parentOf(second.pid));
      expect([parentOf(first.pid), parentOf(second.pid)]).not.toContain(process.pid);

      // Once both answered, a later spawn goes to the first helper again (it still runs a child).
      const third = await spawnThrough(pool, 'sleep', ['30']);
      expect(parentOf(third.pid)).toBe(parentOf(first.pid));
      process.kill(-third.pid, 'SIGKILL');
      expect(await third.exited).toEqual({ exitCode: null, signal: 'SIGKILL', spawnError: null });
    } finally {
      for (const { pid } of [first, second]) process.kill(-pid, 'SIGKILL');
    }
    expect(await first.exited).toEqual({ exitCode: null, signal: 'SIGKILL', spawnError: null });
    expect(await second.exited).toEqual({ exitCode: null, signal: 'SIGKILL', spawnError: null });
  }, 60_000);
});
