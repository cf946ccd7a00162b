import { availableParallelism } from 'node:os';
import type { ProcessSpec } from './process-runner.js';
import { SpawnHelper, type HelperSpawnHandlers } from './spawn-helper.js';

/** More helpers than this would only hold memory: the spawns' children need the cores too. */
const MAX_HELPERS = 4;

/**
 * Several spawn helpers, so that spawns overlap. A helper's thread is blocked by each spawn until
 * the child has exec'd, and on a busy machine that is mostly the child waiting for a core: a
 * profile of the helper under 8 callers spent 93 % of its thread in `ChildProcess.spawn`, 5.4 ms
 * per `true` at load 9 against 1.4 ms of its CPU (docs/performance.md, "Commands under load"), so
 * one helper set the ceiling of runs per second. A spawn goes to the helper with the fewest spawns
 * still unanswered, the first one on a tie: runs one after another keep to one helper, and the
 * others start only while spawns overlap (each leaves after its idle time, as a single one does).
 */
export class SpawnHelperPool {
  readonly #helpers: SpawnHelper[];

  constructor(size = defaultPoolSize()) {
    this.#helpers = Array.from({ length: Math.max(1, size) }, () => new SpawnHelper());
  }

  spawn(spec: ProcessSpec & { detached: boolean }, handlers: HelperSpawnHandlers): void {
    let chosen = this.#helpers[0]!;
    for (const helper of this.#helpers) if (helper.spawnsInFlight < chosen.spawnsInFlight) chosen = helper;
    chosen.spawn(spec, handlers);
  }
}

/** One helper per core, at least two (a spawn waits for its child even on one core), at most MAX_HELPERS. */
export function defaultPoolSize(): number {
  return Math.min(MAX_HELPERS, Math.max(2, availableParallelism()));
}
