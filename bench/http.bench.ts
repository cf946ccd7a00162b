import autocannon from 'autocannon';
import { bridgeSession, startBareServer, startCompiledBridge } from './support/compiled-bridge.js';
import type { BenchRow } from './table.js';

const DURATION_S = 4;
const CONNECTIONS = 20;

async function requestsPerSecond(url: string, headers: Record<string, string>): Promise<number> {
  const result = await autocannon({ url, headers, connections: CONNECTIONS, duration: DURATION_S });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

/**
 * Authenticated `GET /api/v1/bridge/info` through the whole bridge (guard, session check, bus
 * request, reply check and serialisation) against a bare fastify route returning the same JSON.
 * Each server runs in its own process, the bridge as users run it (the compiled CLI), and
 * autocannon drives both from this one, so all three share the same cores in the same way.
 */
export async function benchHttp(): Promise<BenchRow[]> {
  const bridge = await startCompiledBridge();
  try {
    const { headers } = await bridgeSession(bridge);
    const info = await (await fetch(`${bridge.baseUrl}/api/v1/bridge/info`, { headers })).text();
    const bare = await startBareServer('fastify', info);
    try {
      const bareUrl = `http://127.0.0.1:${bare.port}/api/v1/bridge/info`;
      const bridgeUrl = `${bridge.baseUrl}/api/v1/bridge/info`;
      // Warm both up, then measure.
      await requestsPerSecond(bareUrl, {});
      await requestsPerSecond(bridgeUrl, headers);
      const baseline = await requestsPerSecond(bareUrl, {});
      const value = await requestsPerSecond(bridgeUrl, headers);
      return [
        {
          name: 'GET /api/v1/bridge/info (authenticated)',
          value,
          unit: 'req/s',
          baseline,
          ratio: value / baseline,
          note: `autocannon, ${CONNECTIONS} connections, ${DURATION_S} s, each server in its own process (the bridge compiled); baseline: bare fastify route, same JSON`,
        },
      ];
    } finally {
      await bare.stop();
    }
  } finally {
    await bridge.stop();
  }
}

