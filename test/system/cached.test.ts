import { describe, expect, it } from 'vitest';
import { Cached } from '../../src/system/cached.js';

/** A computation the test finishes by hand, counting how often it started. */
function controlled() {
  const runs: Array<{ resolve: (value: number) => void; reject: (error: Error) => void }> = [];
  const cached = new Cached(() => new Promise<number>((resolve, reject) => runs.push({ resolve, reject })));
  return { cached, runs };
}

describe('Cached', () => {
  it('computes once and serves the value until refreshed', async () => {
    const { cached, runs } = controlled();
    const first = cached.get();
    runs[0]!.resolve(1);
    expect(await first).toBe(1);
    expect(await cached.get()).toBe(1);
    expect(runs).toHaveLength(1);
    const refreshed = cached.get(true);
    runs[1]!.resolve(2);
    expect(await refreshed).toBe(2);
    expect(await cached.get()).toBe(2);
  });

  it('lets concurrent callers, refreshes included, share the running computation', async () => {
    const { cached, runs } = controlled();
    const all = [cached.get(), cached.get(true), cached.get(true)];
    expect(runs).toHaveLength(1);
    runs[0]!.resolve(7);
    expect(await Promise.all(all)).toEqual([7, 7, 7]);
  });

  it('does not keep a failure: the next caller computes again', async () => {
    const { cached, runs } = controlled();
    const failed = cached.get();
    runs[0]!.reject(new Error('probe crashed'));
    await expect(failed).rejects.toThrow('probe crashed');
    const again = cached.get();
    runs[1]!.resolve(3);
    expect(await again).toBe(3);
  });

  it('offers its settled value to peek, not one still being computed, and takes a replacement', async () => {
    const { cached, runs } = controlled();
    const running = cached.get();
    expect(cached.peek()).toBeUndefined();
    runs[0]!.resolve(1);
    await running;
    expect(await cached.peek()).toBe(1);
    cached.set(5);
    expect(await cached.get()).toBe(5);
    expect(runs).toHaveLength(1);
  });
});
