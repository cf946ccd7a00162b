import { describe, expect, it } from 'vitest';
import { FD_SLACK, HEAP_TOLERANCE, SOAK_SEED, SOAK_SIZES, runSoak } from './workloads/soak.js';

/**
 * The soak at CI size (`npm run reliability -- soak` runs the 2,000 runs and 50 MCP
 * cycles). The seed is printed; `OSLOOP_SOAK_SEED=<seed>` replays the same mix of runs.
 */
describe.runIf(process.platform === 'linux')('soak', () => {
  it('ends every run as expected and leaves no process, descriptor or heap growth behind', async () => {
    const result = await runSoak({ ...SOAK_SIZES.ci, seed: SOAK_SEED, log: (line) => console.log(line) });

    expect(result.mismatches).toEqual([]);
    expect(Object.values(result.outcomes).reduce((sum, counts) => sum + Object.values(counts).reduce((a, b) => a + b, 0), 0)).toBe(SOAK_SIZES.ci.runs);
    expect(result.mcpFailures).toEqual([]);
    expect(result.mcpCycles).toBe(SOAK_SIZES.ci.mcpCycles);
    expect(result.leakedProcesses).toEqual([]);
    expect(result.fds.after, `descriptors: ${JSON.stringify(result.fds.detail)}`).toBeLessThanOrEqual(result.fds.baseline + FD_SLACK);
    // Compiled code is left out: the JIT keeps optimising functions over a long run (heap
    // snapshots of an 800-run soak: +1.8 MiB of code, +0.4 MiB of everything else).
    expect(result.heap.dataAfter).toBeLessThanOrEqual(result.heap.dataBaseline * (1 + HEAP_TOLERANCE));
    // Buffers live outside the heap: what finished runs keep is bounded by their budget.
    expect(result.arrayBuffers.after).toBeLessThanOrEqual(result.arrayBuffers.baseline + result.arrayBuffers.allowance);
    expect(result.errorLogs).toEqual([]);
  }, 300_000);
});
