import { EventEmitter } from 'node:events';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Bus } from '../src/bus/bus.js';
import { createInProcessBus } from '../src/bus/in-process-bus.js';
import { connectNatsBus } from '../src/bus/nats-bus.js';
import { findNatsServer, startNatsServer } from '../test/support/nats-server.js';
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

async function benchNats(url: string): Promise<BenchRow[]> {
  let bus: Bus | undefined;
  let nc: NatsConnection | undefined;
  try {
    // Baseline: the bare nats.js client on the same server, doing the same JSON work, so the
    // ratio shows what the bus wrapper costs (the server round trip dwarfs any in-memory baseline).
    nc = await connect({ servers: url });
    const raw = nc;
    const bare = await rate(
      fanIn(
        () => raw.publish('bench.raw.pub', JSON.stringify(PAYLOAD)),
        (on) => raw.subscribe('bench.raw.pub', { callback: (_e, msg) => void (msg.json(), on()) }),
      ),
      1000,
    );
    raw.subscribe('bench.raw.rpc', { callback: (_e, msg) => void msg.respond(JSON.stringify({ echoed: msg.json() })) });
    const bareRequest = await rate(sequential(async () => (await raw.request('bench.raw.rpc', JSON.stringify(PAYLOAD))).json()), 100);

    const natsBus = (bus = await connectNatsBus(url));
    const published = await rate(fanIn(() => natsBus.publish('bench.pub', PAYLOAD), (on) => natsBus.subscribe('bench.pub', on)), 1000);
    natsBus.serve('bench.rpc', (data) => ({ echoed: data }));
    const requested = await rate(sequential(() => natsBus.request('bench.rpc', PAYLOAD)), 100);
    return [
      row('NATS publish→receive (one connection)', published, 'msg/s', bare, 'baseline: bare nats.js publish→callback + JSON'),
      row('NATS request/reply (sequential)', requested, 'req/s', bareRequest, 'baseline: bare nats.js request/respond + JSON'),
    ];
  } finally {
    await bus?.drain();
    await nc?.drain();
  }
}

/** Measures bus throughput against bare baselines from the same run; NATS rows need nats-server. */
export async function benchBus(): Promise<BenchRow[]> {
  const rows = await benchInProcess();
  if (!findNatsServer()) {
    console.warn('bench: nats-server not found, NATS rows skipped');
    return rows;
  }
  const server = await startNatsServer();
  try {
    rows.push(...(await benchNats(server.url)));
  } finally {
    await server.stop();
  }
  return rows;
}
