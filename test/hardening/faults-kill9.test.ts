import { describe, expect, it } from 'vitest';
import { KILL9_CYCLES, runKill9Workload } from './workloads/faults.js';

/**
 * Kill -9 the real bridge in the middle of whitelist, registry and settings writes, again and
 * again on the same home: every file still loads, SQLite is intact, and every write acknowledged
 * with a 2xx before a kill is there afterwards (acknowledged means durable). The figures go to
 * docs/reliability.md through `npm run reliability -- faults`.
 */
describe.runIf(process.platform === 'linux')('kill -9 during writes', () => {
  it(`loses no acknowledged write and leaves every file loadable over ${KILL9_CYCLES.ci} kill -9 cycles`, async () => {
    const seed = process.env.OSLOOP_FAULTS_SEED ? Number(process.env.OSLOOP_FAULTS_SEED) : undefined;
    const figures = await runKill9Workload({ cycles: KILL9_CYCLES.ci, ...(seed !== undefined ? { seed } : {}) });
    const context = `seed ${figures.seed} (replay with OSLOOP_FAULTS_SEED=${figures.seed})`;

    expect(figures.cycles, context).toBe(KILL9_CYCLES.ci);
    // The workload did write: otherwise "nothing lost" would prove nothing.
    expect(figures.acknowledged.rules, context).toBeGreaterThan(0);
    expect(figures.acknowledged.serversAdded, context).toBeGreaterThan(0);
    expect(figures.acknowledged.config, context).toBeGreaterThan(0);
    expect(figures.checks, context).toBeGreaterThan(0);

    expect(figures.unexpected, context).toEqual([]);
    expect(figures.unparsable, context).toEqual([]);
    expect(figures.integrity, context).toEqual([]);
    expect(figures.lost, context).toEqual([]);
    // A kill can leave at most one temp file per file being written; the next start removes them.
    for (const left of figures.tempFilesPerKill) expect(left, context).toBeLessThanOrEqual(2);
    expect(figures.tempFilesAtEnd, context).toEqual([]);
  // Each cycle restarts the bridge from its TypeScript sources: seconds each on a loaded machine.
  }, 300_000);
});
