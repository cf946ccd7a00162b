import { describe, expect, it } from 'vitest';
import { HUNG_AFTER_MS, runStopStress, STOP_STRESS_CYCLES } from './workloads/stop-stress.js';

/**
 * Issue 16: a stop always ends the process. Real bridges are started and stopped again and again
 * with a seeded random stop moment (during start-up probes, serving, with live runs and an awake
 * lock), one or two signals, and stdout and stderr going to a reader that reads, one that never
 * reads (the pipe already full), one that closed early, or a parent that exits at the stop.
 * Before the fix a bridge whose stdout reader stopped reading never ended.
 */
describe.runIf(process.platform === 'linux')('stopping the bridge', () => {
  it(`ends the process every time, leaving nothing behind, over ${STOP_STRESS_CYCLES.ci} random start/stop cycles`, async () => {
    const seed = process.env.OSLOOP_STOP_SEED ? Number(process.env.OSLOOP_STOP_SEED) : undefined;
    const figures = await runStopStress({ cycles: STOP_STRESS_CYCLES.ci, ...(seed !== undefined ? { seed } : {}) });
    const context = `seed ${figures.seed} (replay with OSLOOP_STOP_SEED=${figures.seed}): ${JSON.stringify(figures.cycles)}`;

    expect(figures.cycles).toHaveLength(STOP_STRESS_CYCLES.ci);
    // Every cycle ended within the stop deadline's bound (a hung bridge never ends at all).
    expect(figures.hung, context).toEqual([]);
    for (const cycle of figures.cycles) expect(cycle.exitMs, context).toBeLessThan(HUNG_AFTER_MS);
    // No process group it started outlived it, and it left no child unreaped while it lived.
    expect(figures.leaked, context).toEqual([]);
  }, 600_000);
});
