import { availableParallelism } from 'node:os';
import type { ProcessSpec } from './process-runner.js';
import { SpawnHelper, type HelperSpawnHandlers } from './spawn-helper.js';

/**
 * How many spawn helpers a bridge may use. A helper spawns one child at a time and waits in each
 * spawn until the child has exec'd, which on a busy machine is mostly the child waiting for a
 * core, and each run holds its slot (`maxConcurrentRuns`) through that wait. With one helper,
 * runs queued behind it and set the 200-session load's p99 (596 and 600 ms, against 266 and
 * 296 ms with two). Under that load on a faster machine the spec's wait for the helper's answer
 * was still most of a slot's hold (p50 55-61 of 63-71 ms with two): a third took the hold to
 * 33-36 ms and the load's p99 from 300-361 to 181-199 ms at the same throughput; a fourth cost
 * throughput (docs/performance.md, rounds 11 and 15). A helper is started only when every one
 * before it has a spawn unanswered, and leaves when idle, so a quiet bridge still has one or none.
 * On a single core there is no second core for another child to exec on.
 */
export const SPAWN_HELPERS = availableParallelism() > 1 ? 3 : 1;

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
