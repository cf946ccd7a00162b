import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { livingGroupMembers } from '../../src/processes/kill-tree.js';
import { startApi, type Api } from './commands-support.js';
import { isAlive as alive } from '../support/proc.js';


describe.runIf(process.platform === 'linux')('process trees end to end', () => {
  let api: Api;

  beforeAll(async () => {
    api = await startApi({ config: { commandPath: 'inherited', killGraceMs: 300 } });
  });
  afterAll(async () => {
    await api?.bridge.close();
  });

  /** Runs `script` through a rule-free allow_once and returns its run id and the tree's PIDs. */
  async function startTree(script: string, extra: Record<string, unknown> = {}) {
    const execute = await api.execute('sh', ['-c', script], extra);
    await api.resolve(String(execute.body.promptId), 'allow_once');
    const runId = String(execute.body.runId);
    let pid = 0;
    let members: number[] = [];
    // The shell forks its children right after it starts: wait until the whole tree is there.
    for (let i = 0; i < 200 && members.length < 3; i++) {
      const run = await api.call('GET', `/api/v1/system/commands/runs/${runId}`);
      pid = Number(run.body.pid ?? 0);
      members = pid ? livingGroupMembers(pid) : [];
      if (members.length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(members.length).toBeGreaterThanOrEqual(3);
    return { runId, pid, members };
  }

  it('terminates the whole tree of sh -c \'sleep 100 & sleep 100\', leaving no process behind', async () => {
    const { runId, pid, members } = await startTree('sleep 100 & sleep 100');
    const terminated = await api.call('POST', `/api/v1/system/commands/runs/${runId}/terminate`);
    expect(terminated).toMatchObject({ status: 200, body: { runId, state: 'terminated' } });
    expect(livingGroupMembers(pid)).toEqual([]);
    expect(members.filter(alive)).toEqual([]);
    // Idempotent for a terminated run.
    expect((await api.call('POST', `/api/v1/system/commands/runs/${runId}/terminate`)).body).toMatchObject({ state: 'terminated' });
  });

  it('kills the tree when the timeout elapses and ends timed_out', async () => {
    const { runId, pid, members } = await startTree('sleep 100 & sleep 100', { timeoutMs: 1_000 });
    const run = await api.waitRun(runId);
    expect(run.body).toMatchObject({ state: 'timed_out', signal: 'SIGTERM', errorMessage: expect.stringContaining('Timed out after 1000 ms') });
    expect(livingGroupMembers(pid)).toEqual([]);
    expect(members.filter(alive)).toEqual([]);
  });

  it('sends SIGKILL after the grace period to a tree that ignores SIGTERM', async () => {
    const { runId, pid } = await startTree("trap '' TERM; sleep 100 & sleep 100");
    const terminated = await api.call('POST', `/api/v1/system/commands/runs/${runId}/terminate`);
    expect(terminated.body).toMatchObject({ state: 'terminated' });
    expect((await api.call('GET', `/api/v1/system/commands/runs/${runId}`)).body).toMatchObject({ signal: 'SIGKILL' });
    expect(livingGroupMembers(pid)).toEqual([]);
  });

  it('refuses to terminate a run that already finished (409)', async () => {
    const execute = await api.execute('true');
    await api.resolve(String(execute.body.promptId), 'allow_once');
    const runId = String(execute.body.runId);
    expect((await api.waitRun(runId)).body).toMatchObject({ state: 'completed' });
    const terminate = await api.call('POST', `/api/v1/system/commands/runs/${runId}/terminate`);
    expect(terminate).toMatchObject({ status: 409, body: { error: { code: 'conflict', details: { state: 'completed' } } } });
    expect((await api.call('POST', '/api/v1/system/commands/runs/run_nope/terminate')).status).toBe(404);
  });

  it('terminates a run still waiting for permission, withdrawing its prompt', async () => {
    const execute = await api.execute('echo', ['never']);
    const runId = String(execute.body.runId);
    expect((await api.call('POST', `/api/v1/system/commands/runs/${runId}/terminate`)).body).toMatchObject({ state: 'terminated' });
    const prompts = await api.call<{ prompts: Array<{ promptId: string }> }>('GET', '/api/v1/ui/prompts', undefined, { ui: true });
    expect(prompts.body.prompts.map((p) => p.promptId)).not.toContain(execute.body.promptId);
    expect((await api.resolve(String(execute.body.promptId), 'allow_once')).body).toMatchObject({ error: { code: 'conflict', details: { state: 'cancelled' } } });
  });
});
