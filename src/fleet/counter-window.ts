/**
 * The replay guard of one session: each request counter is accepted once. Counters only grow,
 * so instead of remembering nonces the guard keeps the highest counter seen and a bitmap of the
 * `WINDOW` counters below it (the sliding window of IPsec and WireGuard): a request overtaken by
 * a later one (two in flight, a reconnect) still passes once; one older than the window, or seen
 * before, does not. Memory is constant per session.
 */
const WINDOW = 1024;

export class CounterWindow {
  private highest = 0;
  private readonly seen = new Uint32Array(WINDOW / 32);

  /** True, and remembered, the first time `counter` (a positive safe integer) is offered; false after, or when it is too old. */
  accept(counter: number): boolean {
    if (!Number.isSafeInteger(counter) || counter <= 0) return false;
    if (counter > this.highest) {
      const advance = counter - this.highest;
      if (advance >= WINDOW) this.seen.fill(0);
      else for (let c = this.highest + 1; c < counter; c++) this.clear(c);
      this.highest = counter;
      this.mark(counter);
      return true;
    }
    if (this.highest - counter >= WINDOW || this.isMarked(counter)) return false;
    this.mark(counter);
    return true;
  }

  private isMarked(counter: number): boolean {
    const bit = counter % WINDOW;
    return (this.seen[bit >>> 5]! & (1 << (bit & 31))) !== 0;
  }

  private mark(counter: number): void {
    const bit = counter % WINDOW;
    this.seen[bit >>> 5]! |= 1 << (bit & 31);
  }

  private clear(counter: number): void {
    const bit = counter % WINDOW;
    this.seen[bit >>> 5]! &= ~(1 << (bit & 31));
  }
}
