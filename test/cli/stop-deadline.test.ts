import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { livingChildGroups, startBridgeProcess } from '../hardening/workloads/faults-bridge.js';
import { untilLeftStarting } from '../e2e/commands-support.js';
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
      const started = await bridge.call<{ accepted?: boolean; promptId?: string; runId?: string }>('POST', '/api/v1/system/commands/execute', {
        command: 'sh',
        args: ['-c', 'trap "" TERM; echo ready; sleep 120'],
        reason: 'a run that ignores SIGTERM',
      }, { prefer: 'respond-async' });
      expect(started.body.promptId, JSON.stringify(started.body)).toBeTruthy();
      const resolved = await bridge.call('POST', `/api/v1/system/permissions/prompts/${started.body.promptId}/resolve`, { decision: 'allow_once' });
      expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
      const running = await untilLeftStarting((route) => bridge.call('GET', route), String(started.body.runId));
      expect(running.body.state, JSON.stringify(running.body)).toBe('running');
      const groups = livingChildGroups(bridge.pid);
      expect(groups.length, JSON.stringify(running.body)).toBeGreaterThan(0);

      const ended = await bridge.stop(60_000);
      // Killed by its own SIGTERM with the default action restored, not by the test's SIGKILL.
      expect(ended).toEqual({ code: null, signal: 'SIGTERM' });
      expect(bridge.log()).toContain('the orderly stop overran its deadline');
      for (const group of groups) expect(isAlive(group), `group ${group} outlived the bridge`).toBe(false);
    } finally {
      delete process.env.OSLOOP_STOP_DEADLINE_MS;
      if (isAlive(bridge.pid)) await bridge.kill9();
    }
  }, 120_000);
});
