import { EventEmitter } from 'node:events';
import { createInProcessBus } from '../src/bus/in-process-bus.js';
import type { BenchRow } from './table.js';

/** Warm-up then measuring time for one number: 1.3 s, within the 2 s allowed per measurement. */
const WARMUP_MS = 300;
const BUDGET_MS = 1000;
/** Shaped like what the app publishes most: an event with a little output. */
const PAYLOAD = { type: 'run.output', runId: 'run-1', stream: 'stdout', chunk: 'hello from the bench' };

type Batch = (count: number) => Promise<void>;

/** Runs `batch` repeatedly for about BUDGET_MS and returns operations per second. */
async function rate(batch: Batch, batchSize: number): Promise<number> {
  // The JIT needs a few hundred ms here: with a one-batch warm-up, whichever of bus and baseline
  // ran first looked up to 40% slower.
  const warm = performance.now();
  while (performance.now() - warm < WARMUP_MS) await batch(batchSize);
  let done = 0;
  const start = performance.now();
  while (performance.now() - start < BUDGET_MS) {
    await batch(batchSize);
    done += batchSize;
  }
  return done / ((performance.now() - start) / 1000);
}

/** Publishes `count` messages and resolves when the subscriber has received them all. */
function fanIn(publish: () => void, subscribe: (onMessage: () => void) => void): Batch {
  let received = 0;
  let target = 0;
  let wake = (): void => {};
  subscribe(() => {
    if (++received === target) wake();
  });
  return (count) =>
    new Promise<void>((resolve) => {
      target = received + count;
      wake = resolve;
      for (let i = 0; i < count; i++) publish();
    });
}

/** Awaits `count` calls one after another, as a single HTTP connection would. */
function sequential(call: () => Promise<unknown>): Batch {
  return async (count) => {
    for (let i = 0; i < count; i++) await call();
  };
}

function row(name: string, value: number, unit: string, baseline: number, note: string): BenchRow {
  return { name, value, unit, baseline, ratio: value / baseline, note };
}

async function benchInProcess(): Promise<BenchRow[]> {
  const bus = createInProcessBus();
  const emitter = new EventEmitter();
  try {
    const bare = await rate(fanIn(() => emitter.emit('bench', PAYLOAD), (on) => emitter.on('bench', on)), 1000);
    const published = await rate(fanIn(() => bus.publish('bench.pub', PAYLOAD), (on) => bus.subscribe('bench.pub', on)), 1000);
    const direct = async (data: unknown): Promise<unknown> => ({ echoed: data });
    const bareCall = await rate(sequential(() => direct(PAYLOAD)), 1000);
    bus.serve('bench.rpc', (data) => ({ echoed: data }));
    const requested = await rate(sequential(() => bus.request('bench.rpc', PAYLOAD)), 1000);
    return [
      row('in-process publish→receive', published, 'msg/s', bare, 'baseline: EventEmitter emit→listener'),
      row('in-process request/reply (sequential)', requested, 'req/s', bareCall, 'baseline: direct async function call'),
    ];
  } finally {
    await bus.drain();
  }
}

/**
 * Measures the in-process bus against bare baselines from the same run. The bus has no NATS
 * mode any more; the fleet edge has its own rows (fleet.bench.ts).
 */
export async function benchBus(): Promise<BenchRow[]> {
  return benchInProcess();
}
