import { describe, expect, it } from 'vitest';
import { WS_CLOSE_SLOW_CONSUMER } from '../../src/contract/constants.js';
import { LOAD_SIZES, runEventFanout, runMixedSessions } from './workloads/load.js';

/**
 * The load workloads at CI size (`npm run reliability -- load` runs the 100,000 events
 * and 200 sessions for 60 s). Latency is reported by the script, never asserted.
 */
const size = LOAD_SIZES.ci;
const log = (line: string) => console.log(line);

describe('load', () => {
  it(`streams ${size.events} events to ${size.clients - 1} sockets in order with no gap, and cuts and resumes the slow one without loss`, async () => {
    const result = await runEventFanout({ ...size, log });

    expect(result.healthyClosedEarly).toBe(0);
    expect(result.healthyReceivedMin).toBe(size.events);
    expect({ gaps: result.gaps, outOfOrder: result.outOfOrder, duplicates: result.duplicates, misplaced: result.misplaced }).toEqual({
      gaps: 0,
      outOfOrder: 0,
      duplicates: 0,
      misplaced: 0,
    });
    expect(result.slow.closeCode).toBe(WS_CLOSE_SLOW_CONSUMER);
    expect(result.slow.receivedBeforeCut).toBeGreaterThan(0);
    expect(result.slow.receivedBeforeCut).toBeLessThan(size.events);
    expect(result.slow.receivedBeforeCut + result.slow.resumedWith).toBe(size.events);
    expect({ lost: result.slow.lost, repeated: result.slow.repeated, disorder: result.slow.gapsAfterResume }).toEqual({ lost: 0, repeated: 0, disorder: 0 });
    expect(result.errorLogs).toEqual([]);
  }, 300_000);

  it(`serves ${size.sessions} sessions doing mixed calls with no error but the documented ones`, async () => {
    const result = await runMixedSessions({ ...size, log });

    expect(result.unexpectedSamples).toEqual([]);
    expect(result.unexpected).toBe(0);
    expect(Object.keys(result.expected).filter((kind) => kind !== '429 rate_limited')).toEqual([]);
    // Every kind of call was made, and every run that started completed.
    for (const [kind, stats] of Object.entries(result.latency)) expect(stats.count, kind).toBeGreaterThan(0);
    expect(result.runsStarted).toBeGreaterThan(0);
    expect(result.errorLogs).toEqual([]);
    console.log(`load: p50 ${result.latency.all.p50.toFixed(1)} ms, p99 ${result.latency.all.p99.toFixed(1)} ms over ${result.requests} requests`);
  }, 300_000);
});
