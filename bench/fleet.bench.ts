import { createCurve, createUser } from '@nats-io/nkeys';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pino from 'pino';
import { FleetClient } from '../src/fleet/client/index.js';
import { findNatsServer, startNatsServer } from '../test/support/nats-server.js';
import { startTestBridge, type TestBridge } from '../test/support/test-bridge.js';
import type { BenchRow } from './table.js';

const WARMUP_MS = 300;
const BUDGET_MS = 1500;

async function rate(call: () => Promise<unknown>): Promise<number> {
  const warm = performance.now();
  while (performance.now() - warm < WARMUP_MS) await call();
  let done = 0;
  const start = performance.now();
  while (performance.now() - start < BUDGET_MS) {
    await call();
    done++;
  }
  return done / ((performance.now() - start) / 1000);
}

/**
 * A request over the fleet edge (in the client's session: MAC'd, verified, dispatched on the
 * bridge's bus, answered sealed) against a bare nats.js request doing the same work: a responder
 * on the same bridge that asks the same bus subject and answers plain JSON. The ratio is the
 * edge's own cost. Sequential requests, one connection each, same server, same run; the bridge
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
    const bare = await rate(async () => (await bareNc.request('bench.bare.info', JSON.stringify({ params: {}, query: {} }))).json());
    const client = new FleetClient(nc, orchestrator);
    await client.discover({ maxWaitMs: 500 });
    const machineId = bridge.fleet!.machineId;
    const fleet = await rate(() => client.info(machineId));
    return [
      {
        name: 'fleet request (session: MAC, sealed) → bridge.info',
        value: fleet,
        unit: 'req/s',
        baseline: bare,
        ratio: fleet / bare,
        note: 'after one signed handshake per machine: HMAC-SHA256 per request, AES-256-GCM outcome; baseline: bare nats.js request to a responder asking the same bus subject',
      },
    ];
  } finally {
    await nc?.close();
    await responder?.close();
    await bridge?.close();
    await server.stop();
  }
}
