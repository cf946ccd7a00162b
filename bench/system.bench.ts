import pino from 'pino';
import { getLoginPath } from '../src/processes/login-path.js';
import { handshake, startTestBridge } from '../test/support/test-bridge.js';
import type { BenchRow } from './table.js';

/** Cold detections are slow by nature (they start a process per package manager): few of them. */
const COLD_SAMPLES = 5;
const CACHED_SAMPLES = 200;
const HEALTH_SAMPLES = 200;

/** Median latency in ms of `samples` sequential calls of `call`. */
async function medianMs(samples: number, call: () => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    await call();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/**
 * `GET /api/v1/system/info` through the bridge, cold (`refresh=true`: every package manager
 * probed again, concurrently, each bounded by `system.probeTimeoutMs`) and cached, each as a
 * ratio of an unauthenticated `GET /api/v1/health` measured in the same run. The login-shell
 * PATH is read before measuring: it is read once per process, not per detection.
 */
export async function benchSystem(): Promise<BenchRow[]> {
  await getLoginPath();
  const bridge = await startTestBridge({ logger: pino({ level: 'silent' }) });
  try {
    const { headers } = await handshake(bridge);
    const get = (path: string, withHeaders: Record<string, string>) => async () => {
      const response = await fetch(`${bridge.baseUrl}${path}`, { headers: withHeaders });
      if (!response.ok) throw new Error(`${path}: ${response.status}`);
      await response.arrayBuffer();
    };
    const health = get('/api/v1/health', { origin: bridge.origin });
    const cached = get('/api/v1/system/info', headers);
    const cold = get('/api/v1/system/info?refresh=true', headers);

    await cold(); // first detection, plus JIT warm-up of both paths
    await medianMs(50, health);
    await medianMs(50, cached);
    const baseline = await medianMs(HEALTH_SAMPLES, health);
    const cachedMs = await medianMs(CACHED_SAMPLES, cached);
    const coldMs = await medianMs(COLD_SAMPLES, cold);
    const note = `median of sequential requests; baseline: GET /api/v1/health (${HEALTH_SAMPLES} samples)`;
    return [
      { name: 'GET /api/v1/system/info (cached)', value: cachedMs, unit: 'ms', baseline, ratio: cachedMs / baseline, note: `${CACHED_SAMPLES} samples; ${note}` },
      {
        name: 'GET /api/v1/system/info?refresh=true (cold)',
        value: coldMs,
        unit: 'ms',
        baseline,
        ratio: coldMs / baseline,
        note: `${COLD_SAMPLES} samples, probe timeout ${bridge.config.current.system.probeTimeoutMs} ms; ${note}`,
      },
    ];
  } finally {
    await bridge.close();
  }
}
