import { describe, expect, it } from 'vitest';
import { ROUTE_LIST } from '../../src/contract/routes/index.js';
import { CI_FUZZ_CASES, DEFAULT_FUZZ_SEED, runFuzz, summarizeFuzz, type FuzzFigures } from './workloads/fuzz.js';

const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : DEFAULT_FUZZ_SEED;

describe('property-based fuzzing of every route and both sockets, and calls on the socket', () => {
  let figures: FuzzFigures;

  it(`answers ${CI_FUZZ_CASES} hostile and valid-shaped requests with no 5xx, no crash and only structured errors`, { timeout: 240_000 }, async () => {
    figures = await runFuzz({ cases: CI_FUZZ_CASES, seed });
    const summary = summarizeFuzz(figures);
    console.log(summary);

    // The summary names every failing category with its shrunk counter-example: read it first.
    expect(figures.failures, summary).toEqual([]);
    expect(figures.total).toBeGreaterThanOrEqual(CI_FUZZ_CASES);
    expect(figures.serverErrors, summary).toBe(0);
    expect(figures.unstructured, summary).toBe(0);
    expect(figures.unknownCodes, summary).toEqual([]);
    expect(figures.broken, summary).toBe(0);
    expect(figures.crashes, summary).toEqual({ uncaught: [], unhandled: [], errorLogs: [], healthyAtEnd: true });
  });

  it('reached every contract route and both sockets, each with replies of its own', () => {
    for (const route of ROUTE_LIST) expect(figures.routes[route.id], route.id).toBeGreaterThan(20);
    expect(figures.routes['ws /ws/v1/events']).toBeGreaterThan(20);
    expect(figures.routes['ws /ws/v1/ui/inspector']).toBeGreaterThan(20);
    // Request frames (calls on the socket), each of their answers judged like an HTTP reply.
    expect(figures.routes['ws /ws/v1/events request frames']).toBeGreaterThan(20);
    expect(figures.routeStatuses['ws /ws/v1/events request frames']?.['400'] ?? 0).toBeGreaterThan(20);
    // Valid-shaped requests get past validation: the fuzz is not all refusals.
    expect(figures.statuses['200'] ?? 0).toBeGreaterThan(500);
    expect(figures.statuses['202'] ?? 0).toBeGreaterThan(10);
    expect(figures.statuses['101'] ?? 0).toBeGreaterThan(100);
  });

  it('kept every side effect harmless: nothing ran, nothing connected, no file outside the target', () => {
    expect(figures.sideEffects).toEqual({ commandsStarted: 0, installsStarted: 0, mcpConnected: 0, writesOutsideTarget: [], filesOutside: [] });
  });
});
