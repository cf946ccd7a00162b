import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { livingChildGroups, livingInGroups, startAllowedShellRun, startBridgeProcess } from '../hardening/workloads/faults-bridge.js';
import { isAlive } from '../support/proc.js';

/**
 * Command runs are children of the bridge's spawn helper. A bridge killed with SIGKILL can end
 * nothing itself: the helper, whose channel to it closes, must take the runs along.
 */
describe.runIf(process.platform === 'linux')('the spawn helper', () => {
  it('kills the whole group of every run still going when the bridge is killed with SIGKILL', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'osloop-spawn-helper-'));
    const bridge = await startBridgeProcess(home, { config: { commandPath: 'inherited' } });
    try {
      // A background child in the run's group, besides the shell itself.
      const { pid: runGroup } = await startAllowedShellRun(bridge, 'sleep 120 & echo ready; wait', 'a run that outlives a killed bridge unless something ends it');
      expect(livingChildGroups(bridge.pid)).toContain(runGroup);
      await vi.waitFor(() => expect(livingInGroups([runGroup]).length).toBeGreaterThanOrEqual(2), { timeout: 20_000 });

      await bridge.kill9();
      await vi.waitFor(() => expect(livingInGroups([runGroup])).toEqual([]), { timeout: 20_000 });
      expect(isAlive(runGroup)).toBe(false);
    } finally {
      if (isAlive(bridge.pid)) await bridge.kill9();
      await rm(home, { recursive: true, force: true });
    }
  }, 120_000);
});
