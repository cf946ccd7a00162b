/** Limits read at every decision, so a settings change applies to the next run. */
export interface SlotLimits {
  maxConcurrentRuns: number;
  maxQueuedRuns: number;
}

export type SlotOutcome = 'granted' | 'waiting' | 'refused';

interface Waiter {
  runId: string;
  granted: () => void;
}

/**
 * The `maxConcurrentRuns` slots every command run needs to start, and the FIFO queue of allowed
 * runs waiting for one (at most `maxQueuedRuns`). A run holds its slot until it ends, so what its
 * process left behind (killed before the run ends) still counts.
 */
export class RunSlots {
  readonly #limits: () => SlotLimits;
  readonly #holders = new Set<string>();
  readonly #waiting: Waiter[] = [];
  #closed = false;

  constructor(limits: () => SlotLimits) {
    this.#limits = limits;
  }

  /** Every slot taken and the queue full: a new run would be refused. */
  get full(): boolean {
    const { maxConcurrentRuns, maxQueuedRuns } = this.#limits();
    return this.#holders.size >= maxConcurrentRuns && this.#waiting.length >= maxQueuedRuns;
  }

  get counts(): { running: number; queued: number } {
    return { running: this.#holders.size, queued: this.#waiting.length };
  }

  /**
   * Asks for a slot: `granted` at once, `waiting` (then `granted()` is called later, in FIFO
   * order), or `refused` (the queue is full, or the bridge is stopping). `release` gives the slot
   * back or leaves the queue; it is idempotent.
   */
  acquire(runId: string, granted: () => void): { outcome: SlotOutcome; position: number; release: () => void } {
    const release = () => this.#release(runId);
    if (this.#closed) return { outcome: 'refused', position: 0, release };
    const { maxConcurrentRuns, maxQueuedRuns } = this.#limits();
    if (this.#holders.size < maxConcurrentRuns && this.#waiting.length === 0) {
      this.#holders.add(runId);
      return { outcome: 'granted', position: 0, release };
    }
    if (this.#waiting.length >= maxQueuedRuns) return { outcome: 'refused', position: 0, release };
    this.#waiting.push({ runId, granted });
    return { outcome: 'waiting', position: this.#waiting.length, release };
  }

  /** The bridge is stopping: nothing queued starts any more. */
  close(): void {
    this.#closed = true;
  }

  #release(runId: string): void {
    const index = this.#waiting.findIndex((waiter) => waiter.runId === runId);
    if (index >= 0) this.#waiting.splice(index, 1);
    if (this.#holders.delete(runId)) this.#grantNext();
  }

  #grantNext(): void {
    while (!this.#closed && this.#waiting.length > 0 && this.#holders.size < this.#limits().maxConcurrentRuns) {
      const next = this.#waiting.shift()!;
      this.#holders.add(next.runId);
      // Not from inside the run that is ending (its actor is stopping): the next run starts after.
      queueMicrotask(next.granted);
    }
  }
}
