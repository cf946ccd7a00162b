import { afterEach, describe, expect, it, vi } from 'vitest';
import { createInProcessBus } from '../../src/bus/in-process-bus.js';
import { describeBusConformance } from './conformance.js';

describeBusConformance('in-process', (options) => createInProcessBus(options));

describe('in-process bus specifics', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('arms no timeout timer for a request its responder answers synchronously', async () => {
    const bus = createInProcessBus();
    bus.serve('sync', (data) => `got ${String(data)}`);
    const setTimer = vi.spyOn(globalThis, 'setTimeout');
    await expect(bus.request('sync', 1)).resolves.toBe('got 1');
    expect(setTimer).not.toHaveBeenCalled();
  });

  it('still times out a request whose responder answers later, counted from the request', async () => {
    vi.useFakeTimers();
    const bus = createInProcessBus();
    bus.serve('slow', () => new Promise(() => {}));
    const answer = bus.request('slow', 1, { timeoutMs: 50 });
    const failed = expect(answer).rejects.toMatchObject({ name: 'BusTimeout' });
    await vi.advanceTimersByTimeAsync(50);
    await failed;
  });

  it('reports itself as embedded', () => {
    expect(createInProcessBus().kind).toBe('embedded');
  });

  it('rotates queue group deliveries round robin, in subscription order', async () => {
    const bus = createInProcessBus();
    const got: string[] = [];
    for (const name of ['a', 'b', 'c']) bus.subscribe('jobs', () => void got.push(name), { queue: 'q' });
    for (let i = 0; i < 6; i++) bus.publish('jobs', i);
    await bus.drain();
    expect(got).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('passes payloads by reference, without copying', async () => {
    const bus = createInProcessBus();
    const payload = { big: 'object' };
    let received: unknown;
    bus.subscribe('x', (message) => void (received = message.data));
    bus.publish('x', payload);
    await bus.drain();
    expect(received).toBe(payload);
  });

  it('falls back to console.error when a reporter itself throws', async () => {
    const logged: unknown[][] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void logged.push(args);
    try {
      const bus = createInProcessBus({
        onError: () => {
          throw new Error('reporter broke');
        },
      });
      bus.subscribe('x', () => {
        throw new Error('handler broke');
      });
      bus.publish('x', 1);
      await bus.drain();
    } finally {
      console.error = original;
    }
    expect(logged).toHaveLength(1);
    expect(String(logged[0]![0])).toContain('"x"');
  });
});
