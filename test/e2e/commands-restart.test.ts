import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { groupAlive } from '../../src/processes/kill-tree.js';
import { startApi } from './commands-support.js';

interface RunRow {
  runId: string;
  state: string;
  errorMessage: string | null;
}

describe('a bridge restarted with runs in flight', () => {
  it('kills their trees on stop, then lists them interrupted, with decisions and rules still there', async () => {
    const first = await startApi({ keepHome: true, config: { commandPath: 'inherited' } });
    const home = first.bridge.home;
    const { running, waiting, ruleId, pid } = await (async () => {
      try {
        const sleeper = await first.execute('sleep', ['100']);
        const allowed = await first.resolve(String(sleeper.body.promptId), 'allow_and_whitelist');
        const live = await first.started(String(sleeper.body.runId));
        expect(live.body).toMatchObject({ state: 'running' });
        const waitingRun = await first.execute('echo', ['never answered']);
        return { running: String(sleeper.body.runId), waiting: String(waitingRun.body.runId), ruleId: String(allowed.body.ruleId), pid: Number(live.body.pid) };
      } finally {
        await first.bridge.close(); // stops without finishing the runs
      }
    })();
    expect(groupAlive(pid)).toBe(false);

    // The same port, so the same origin: runs and rules belong to the web app's origin.
    const second = await startApi({ home, port: Number(new URL(first.bridge.baseUrl).port), config: { commandPath: 'inherited' } });
    try {
      const runs = await second.call<{ runs: RunRow[] }>('GET', '/api/v1/system/commands/runs');
      const byId = new Map(runs.body.runs.map((run) => [run.runId, run]));
      // The sleeper was live: something ran. The other never got past its prompt: nothing ran.
      expect(byId.get(running)).toMatchObject({ state: 'interrupted', status: 'failed', recoveryHint: 'bridge_restart', errorMessage: expect.stringContaining('stopped') });
      expect(byId.get(waiting)).toMatchObject({ state: 'interrupted', status: 'failed', recoveryHint: 'spawn_failure' });
      expect((await second.call('GET', `/api/v1/system/commands/runs/${running}`)).body).toMatchObject({ state: 'interrupted', stdout: { data: '', ended: true } });

      const rules = await second.call<{ rules: Array<{ ruleId: string }> }>('GET', '/api/v1/system/permissions/commands');
      expect(rules.body.rules.map((rule) => rule.ruleId)).toEqual([ruleId]);
      const audit = await second.call<{ decisions: Array<{ ruleId: string | null; decision: string | null }> }>('GET', '/api/v1/ui/decisions', undefined, { ui: true });
      expect(audit.body.decisions).toEqual([expect.objectContaining({ decision: 'allow_and_whitelist', ruleId })]);
      // The old prompt cannot be answered any more.
      expect((await second.call('GET', '/api/v1/ui/prompts', undefined, { ui: true })).body).toEqual({ prompts: [] });
      // And the rule still works after the restart.
      expect((await second.execute('sleep', ['100'])).body).toMatchObject({ state: 'running', ruleId });
    } finally {
      await second.bridge.close();
      await rm(home, { recursive: true, force: true });
    }
  });
});
