import { createCurve, createUser } from '@nats-io/nkeys';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pino from 'pino';
import { FleetClient } from '../src/fleet/client/index.js';
import { findNatsServer, startNatsServer } from '../test/support/nats-server.js';
import { startTestBridge, type TestBridge } from '../test/support/test-bridge.js';
import type { BenchRow } from './table.js';

const WARMUP_MS = 300;
const ROUND_MS = 400;
const ROUNDS = 5;

async function rateFor(call: () => Promise<unknown>, ms: number): Promise<number> {
  let done = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    await call();
    done++;
  }
  return done / ((performance.now() - start) / 1000);
}

/**
 * Both sides warmed, then measured in pairs of short rounds (bare, fleet; bare, fleet; …), and
 * the pair with the median ratio reported: on a shared machine the load drifts and bursts within
 * a run, and measuring one side wholly before the other put a drift, or one burst, on one side of
 * the ratio.
 */
async function pairedRates(bare: () => Promise<unknown>, fleet: () => Promise<unknown>): Promise<{ bare: number; fleet: number }> {
  await rateFor(bare, WARMUP_MS);
  await rateFor(fleet, WARMUP_MS);
  const pairs: { bare: number; fleet: number }[] = [];
  for (let round = 0; round < ROUNDS; round++) pairs.push({ bare: await rateFor(bare, ROUND_MS), fleet: await rateFor(fleet, ROUND_MS) });
  pairs.sort((a, b) => a.fleet / a.bare - b.fleet / b.bare);
  return pairs[Math.floor(pairs.length / 2)]!;
}

/**
 * A request over the fleet edge (in the client's session: MAC'd, verified, dispatched on the
 * bridge's bus, answered sealed) against a bare nats.js request doing the same work: a responder
 * on the same bridge that asks the same bus subject and answers plain JSON. The ratio is the
 * edge's cost against what a user of nats.js does without it. Both send on the same client
 * connection, one message out and one back per request, sequentially, same server, same run.
 * The fleet client publishes on its own reply subscription where the baseline uses
 * `nc.request` (docs/fleet.md, "Cost", gives the ratio against that transport too). The bridge
 * logs at `info`, as a user runs it (the test bridge's default `debug` logs every fleet request).
 */
export async function benchFleet(): Promise<BenchRow[]> {
  if (!findNatsServer()) {
    console.warn('bench: nats-server not found, fleet rows skipped');
    return [];
  }
  const server = await startNatsServer();
  const orchestrator = { identity: createUser(), curve: createCurve() };
  let bridge: TestBridge | undefined;
  let nc: NatsConnection | undefined;
  let responder: NatsConnection | undefined;
  try {
    bridge = await startTestBridge({
      logger: pino({ level: 'info' }, pino.destination('/dev/null')),
      natsUrl: server.url,
      config: { nats: { orchestrators: [{ key: orchestrator.identity.getPublicKey(), label: null, pairedAt: new Date().toISOString() }] } },
    });
    await bridge.fleet!.connected();
    const bus = bridge.bus;
    const subject = `osloop.${bridge.bridgeId}.rpc.bridge.info`;
    responder = await connect({ servers: server.url });
    responder.subscribe('bench.bare.info', {
      callback: (_error, msg) => {
        const request = msg.json<{ params: object; query: object }>();
        void bus.request(subject, { principal: { kind: 'ui' }, params: request.params, query: request.query, body: undefined }).then((value) => msg.respond(JSON.stringify({ ok: true, value })));
      },
    });
    nc = await connect({ servers: server.url });
    const bareNc = nc;
    const client = new FleetClient(nc, orchestrator);
    await client.discover({ maxWaitMs: 500 });
    const machineId = bridge.fleet!.machineId;
    const { bare, fleet } = await pairedRates(
      async () => (await bareNc.request('bench.bare.info', JSON.stringify({ params: {}, query: {} }))).json(),
      () => client.info(machineId),
    );
    return [
      {
        name: 'fleet request (session: MAC, sealed) → bridge.info',
        value: fleet,
        unit: 'req/s',
        baseline: bare,
        ratio: fleet / bare,
        note: 'after one signed handshake per machine: binary frames, HMAC-SHA256 per request, AES-256-GCM outcome, the client on its own reply subscription; baseline: bare nats.js request (nc.request) to a responder asking the same bus subject; median of 5 paired rounds',
      },
    ];
  } finally {
    await nc?.close();
    await responder?.close();
    await bridge?.close();
    await server.stop();
  }
}
