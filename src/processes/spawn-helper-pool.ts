import { availableParallelism } from 'node:os';
import type { ProcessSpec } from './process-runner.js';
import { SpawnHelper, type HelperSpawnHandlers } from './spawn-helper.js';

/**
 * How many spawn helpers a bridge may use. A helper spawns one child at a time and waits in each
 * spawn until the child has exec'd, which on a busy machine is mostly the child waiting for a
 * core: with one helper, runs queued behind that wait and set the 200-session load's p99. Two
 * overlap their waits (the load's p99 266 and 296 ms against 596 and 600 ms with one, in 20 s
 * runs; a third gave no more), at the price of a busier machine under a burst of runs
 * (docs/performance.md, round 11).
 * On a single core there is no second core for the other child to exec on.
 */
export const SPAWN_HELPERS = Math.min(2, availableParallelism());

/**
 * Spawn helpers shared by every run of this process. Each spawn goes to the helper with the
 * fewest spawns still unanswered, the first on a tie: spawns one after another all go to the
 * first helper, so the second is started only when spawns overlap (and leaves again once idle,
 * as each helper does).
 */
export class SpawnHelperPool {
  readonly #helpers: SpawnHelper[];

  constructor(size = SPAWN_HELPERS) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`SpawnHelperPool: size must be a positive integer, not ${size}`);
    this.#helpers = Array.from({ length: size }, () => new SpawnHelper());
  }

  spawn(spec: ProcessSpec & { detached: boolean }, handlers: HelperSpawnHandlers): void {
    let chosen = this.#helpers[0]!;
    for (const helper of this.#helpers) if (helper.awaitingAnswer < chosen.awaitingAnswer) chosen = helper;
    chosen.spawn(spec, handlers);
  }
}
