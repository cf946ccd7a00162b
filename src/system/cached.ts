/**
 * A value computed on demand and kept until refreshed. Callers arriving while a computation runs
 * share it (a refresh too), so a burst of requests never starts the detection twice.
 */
export class Cached<T> {
  #value: Promise<T> | undefined;
  #running = false;

  constructor(private readonly compute: () => Promise<T>) {}

  /** The settled value, if there is one and no computation is running. */
  peek(): Promise<T> | undefined {
    return this.#running ? undefined : this.#value;
  }

  /** Replaces the value (when a change is known without computing everything again). */
  set(value: T): void {
    this.#value = Promise.resolve(value);
    this.#running = false;
  }

  get(refresh = false): Promise<T> {
    if (this.#value && (this.#running || !refresh)) return this.#value;
    const value = this.compute();
    this.#value = value;
    this.#running = true;
    const settle = () => {
      if (this.#value === value) this.#running = false;
    };
    // A failed computation is not kept: the next caller tries again.
    value.then(settle, () => {
      settle();
      if (this.#value === value) this.#value = undefined;
    });
    return value;
  }
}
