import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { bridgeSession, startBareServer, startCompiledBridge } from './support/compiled-bridge.js';
import type { BenchRow } from './table.js';

const ROUND_S = 2;
const ROUNDS = 5;
const CONNECTIONS = 20;

interface Round {
  requestsPerSecond: number;
  /** CPU (user + system, /proc) of the server's process per request, in µs. */
  cpuMicrosPerRequest: number;
}

/** One round of autocannon against `url`, with the CPU its server's process spent meanwhile. */
async function round(url: string, headers: Record<string, string>, serverPid: number, seconds = ROUND_S): Promise<Round> {
  const cpuBefore = processCpuMicros(serverPid);
  const result = await autocannon({ url, headers, connections: CONNECTIONS, duration: seconds });
  const cpu = processCpuMicros(serverPid) - cpuBefore;
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { requestsPerSecond: result.requests.average, cpuMicrosPerRequest: cpu / result.requests.total };
}

/** utime + stime of a process in µs (fields 14 and 15 of /proc/<pid>/stat; 100 Hz ticks). */
function processCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * Authenticated `GET /api/v1/bridge/info` through the whole bridge (guard, session check, bus
 * request, reply check and serialisation) against a bare fastify route returning the same JSON.
 * Each server runs in its own process, the bridge as users run it (the compiled CLI), and
 * autocannon drives both from this one, so all three share the same cores in the same way.
 *
 * Bare and bridge rounds alternate (after both warmed up) and the row is the pair with the
 * median ratio: with one round each, a burst of other load during either round decided the row
 * (0.22 and 0.64 in two runs a minute apart). The note also gives each server's CPU per request
 * from /proc, the steadier measure on a shared machine.
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
      // The same request bytes to both: Node parses the token, Origin and Content-Type header
      // lines for bare fastify too (~0.6 KB allocated per request), so the ratio is
      // what the bridge adds, not what the client sends.
      await round(bareUrl, headers, bare.child.pid!);
      await round(bridgeUrl, headers, bridge.pid);
      const pairs: Array<{ bare: Round; bridge: Round; ratio: number }> = [];
      for (let i = 0; i < ROUNDS; i++) {
        const bareRound = await round(bareUrl, headers, bare.child.pid!);
        const bridgeRound = await round(bridgeUrl, headers, bridge.pid);
        pairs.push({ bare: bareRound, bridge: bridgeRound, ratio: bridgeRound.requestsPerSecond / bareRound.requestsPerSecond });
      }
      const middle = [...pairs].sort((a, b) => a.ratio - b.ratio)[Math.floor(pairs.length / 2)]!;
      const cpuBridge = median(pairs.map((pair) => pair.bridge.cpuMicrosPerRequest));
      const cpuBare = median(pairs.map((pair) => pair.bare.cpuMicrosPerRequest));
      const ratios = pairs.map((pair) => pair.ratio.toFixed(2)).join(', ');
      return [
        {
          name: 'GET /api/v1/bridge/info (authenticated)',
          value: middle.bridge.requestsPerSecond,
          unit: 'req/s',
          baseline: middle.bare.requestsPerSecond,
          ratio: middle.ratio,
          note: `autocannon, ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${ROUND_S} s, the pair with the median ratio (all: ${ratios}); each server in its own process (the bridge compiled); baseline: bare fastify route, same JSON, sent the same request headers; CPU per request (/proc, medians) ${cpuBridge.toFixed(1)} µs vs ${cpuBare.toFixed(1)} µs; load average ${os.loadavg()[0]!.toFixed(1)}`,
        },
      ];
    } finally {
      await bare.stop();
    }
  } finally {
    await bridge.stop();
  }
}
