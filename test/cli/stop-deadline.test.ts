import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { describeProcesses, livingChildGroups, livingInGroups, startAllowedShellRun, startBridgeProcess } from '../hardening/workloads/faults-bridge.js';
import { isAlive } from '../support/proc.js';

/**
 * The first signal's orderly stop has a deadline. A run whose whole tree ignores SIGTERM, with a
 * kill grace longer than the deadline, holds the orderly stop past it: the process must end at
 * the deadline anyway, say what was still busy, and take the run's process group along.
 */
describe.runIf(process.platform === 'linux')('the stop deadline', () => {
  it('ends the process when the orderly stop overruns it, naming what was busy, and kills the live run', async () => {
    process.env.OSLOOP_STOP_DEADLINE_MS = '2000';
    const home = await mkdtemp(path.join(os.tmpdir(), 'osloop-deadline-'));
    const bridge = await startBridgeProcess(home, { config: { commandPath: 'inherited', killGraceMs: 120_000 } });
    try {
      const running = await startAllowedShellRun(bridge, 'trap "" TERM; echo ready; sleep 120', 'a run that ignores SIGTERM');
      const groups = livingChildGroups(bridge.pid);
      expect(groups, JSON.stringify(running)).toContain(running.pid);

      const ended = await bridge.stop(60_000);
      // Killed by its own SIGTERM with the default action restored, not by the test's SIGKILL.
      expect(ended).toEqual({ code: null, signal: 'SIGTERM' });
      expect(bridge.log()).toContain('the orderly stop overran its deadline');
      // SIGKILLed as the bridge exits, a group still needs the scheduler to run its exit path
      // before /proc shows it gone: on a loaded machine that is not instant, so wait for it. A
      // group nobody killed (`sleep 120`) would still be there when the wait ends.
      await vi.waitFor(() => {
        const left = livingInGroups(groups);
        expect(left, `outlived the bridge: ${describeProcesses(left).join('; ')}`).toEqual([]);
      }, { timeout: 20_000, interval: 100 });
    } finally {
      delete process.env.OSLOOP_STOP_DEADLINE_MS;
      if (isAlive(bridge.pid)) await bridge.kill9();
    }
  }, 120_000);
});
