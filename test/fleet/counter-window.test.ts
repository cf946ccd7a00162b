import { describe, expect, it } from 'vitest';
import { CounterWindow } from '../../src/fleet/counter-window.js';

describe('the counter window of a session', () => {
  it('accepts each counter once, in order or overtaken, and refuses it after', () => {
    const window = new CounterWindow();
    expect(window.accept(1)).toBe(true);
    expect(window.accept(3)).toBe(true);
    // 2 was overtaken by 3 (two requests in flight): still accepted, once.
    expect(window.accept(2)).toBe(true);
    for (const replay of [1, 2, 3]) expect(window.accept(replay)).toBe(false);
  });

  it('refuses counters that are not positive integers', () => {
    const window = new CounterWindow();
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) expect(window.accept(bad)).toBe(false);
  });

  it('refuses a counter older than the window, and forgets nothing inside it', () => {
    const window = new CounterWindow();
    expect(window.accept(5)).toBe(true);
    expect(window.accept(5 + 1024)).toBe(true);
    expect(window.accept(5)).toBe(false);
    // Inside the window and never used: accepted once.
    expect(window.accept(6)).toBe(true);
    expect(window.accept(6)).toBe(false);
    // A jump far ahead clears the bitmap without letting old counters back in.
    expect(window.accept(100_000)).toBe(true);
    expect(window.accept(1029)).toBe(false);
    expect(window.accept(99_999)).toBe(true);
  });
});
