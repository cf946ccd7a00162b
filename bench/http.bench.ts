import autocannon from 'autocannon';
import Fastify from 'fastify';
import pino from 'pino';
import { handshake, startTestBridge } from '../test/support/test-bridge.js';
import { freePort } from '../test/support/free-port.js';
import type { BenchRow } from './table.js';

const DURATION_S = 4;
const CONNECTIONS = 20;

async function requestsPerSecond(url: string, headers: Record<string, string>): Promise<number> {
  const result = await autocannon({ url, headers, connections: CONNECTIONS, duration: DURATION_S });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

/**
 * Authenticated `GET /api/v1/bridge/info` through the whole bridge (guard, bus request, session
 * verification over the bus, zod reply serialisation) against a bare fastify route returning
 * the same JSON, both measured here, one after the other.
 */
export async function benchHttp(): Promise<BenchRow[]> {
  const bridge = await startTestBridge({ logger: pino({ level: 'silent' }) });
  try {
    const { headers } = await handshake(bridge);
    const info = await (await fetch(`${bridge.baseUrl}/api/v1/bridge/info`, { headers })).json();

    const bare = Fastify();
    bare.get('/api/v1/bridge/info', async () => info);
    const barePort = await freePort();
    await bare.listen({ host: '127.0.0.1', port: barePort });
    try {
      // Warm both up, then measure.
      await requestsPerSecond(`http://127.0.0.1:${barePort}/api/v1/bridge/info`, {});
      const baseline = await requestsPerSecond(`http://127.0.0.1:${barePort}/api/v1/bridge/info`, {});
      const value = await requestsPerSecond(`${bridge.baseUrl}/api/v1/bridge/info`, headers);
      return [
        {
          name: 'GET /api/v1/bridge/info (authenticated)',
          value,
          unit: 'req/s',
          baseline,
          ratio: value / baseline,
          note: `autocannon, ${CONNECTIONS} connections, ${DURATION_S} s; baseline: bare fastify route, same JSON`,
        },
      ];
    } finally {
      await bare.close();
    }
  } finally {
    await bridge.close();
  }
}
