import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFrames, type FrameReader } from '../support/ws-frames.js';
import { startApi, type Api } from './commands-support.js';

/** Every way a request is decided, over real HTTP and WebSocket, with real processes. */
describe('permission decisions end to end', () => {
  let api: Api;
  let events: FrameReader;

  beforeAll(async () => {
    api = await startApi({ config: { commandPath: 'inherited', denyList: ['shutdown', '/usr/bin/yes'], promptTimeoutMs: 60_000 } });
    const wsUrl = `${api.bridge.baseUrl.replace('http', 'ws')}/ws/v1/events?sessionToken=${api.headers['x-osloop-bridge-token']}&types=permission.>,system.command.*`;
    events = await openFrames(wsUrl, api.bridge.origin);
  });
  afterAll(async () => {
    events?.socket.close();
    await api?.bridge.close();
  });

  const eventsOf = (type: string, key: string, value: string) =>
    events.frames.filter((f) => f.type === type && (f.data as Record<string, unknown>)[key] === value).map((f) => f.data as Record<string, unknown>);

  it('answers 202 awaiting_permission with a prompt, and runs once the user allows it once', async () => {
    const execute = await api.execute('echo', ['allowed', 'once']);
    expect(execute.status).toBe(202);
    expect(execute.body).toMatchObject({ state: 'awaiting_permission', promptId: expect.any(String) });
    const { runId, promptId } = execute.body as { runId: string; promptId: string };

    const resolved = await api.resolve(promptId, 'allow_once');
    expect(resolved).toMatchObject({ status: 200, body: { promptId, state: 'allowed_once', decisionId: expect.any(String), ruleId: null } });

    const run = await api.waitRun(runId);
    expect(run.body).toMatchObject({ state: 'completed', exitCode: 0, promptId, decisionId: resolved.body.decisionId, stdout: { data: 'allowed once\n' } });
    await events.until(() => eventsOf('system.command.completed', 'runId', runId).length === 1);
    expect(eventsOf('permission.prompt.created', 'promptId', promptId)[0]).toMatchObject({ kind: 'command', subjectId: runId, whitelistAllowed: true });
    expect(eventsOf('permission.decision.recorded', 'promptId', promptId)[0]).toMatchObject({ decidedBy: 'user', outcome: 'allowed', decision: 'allow_once' });
  });

  it('allows and whitelists: a second identical request runs with no prompt, by the rule', async () => {
    const first = await api.execute('echo', ['whitelisted']);
    const resolved = await api.resolve(String(first.body.promptId), 'allow_and_whitelist');
    expect(resolved.body).toMatchObject({ state: 'allowed_and_whitelisted', ruleId: expect.any(String) });
    const ruleId = String(resolved.body.ruleId);

    const second = await api.execute('echo', ['whitelisted']);
    expect(second.status).toBe(202);
    expect(second.body).toMatchObject({ ruleId });
    expect(second.body.promptId).toBeUndefined();
    expect(['running', 'completed']).toContain(second.body.state);
    expect((await api.waitRun(String(second.body.runId))).body).toMatchObject({ state: 'completed', ruleId, promptId: null });

    const rule = await api.call('GET', `/api/v1/system/permissions/commands/${ruleId}`);
    expect(rule.body).toMatchObject({ executable: 'echo', args: ['whitelisted'], anyFurtherArgs: false, useCount: 1, lastUsedAt: expect.any(String) });
    await events.until(() => eventsOf('permission.decision.recorded', 'ruleId', ruleId).some((d) => d.decidedBy === 'rule'));

    // Different arguments are a different request: they prompt again.
    expect((await api.execute('echo', ['whitelisted', 'more'])).body).toMatchObject({ state: 'awaiting_permission' });
  });

  it('rejects: the run ends rejected with rejected_by_user and never starts', async () => {
    const execute = await api.execute('echo', ['rejected']);
    const resolved = await api.resolve(String(execute.body.promptId), 'reject');
    expect(resolved.body).toMatchObject({ state: 'rejected' });
    const run = await api.waitRun(String(execute.body.runId));
    expect(run.body).toMatchObject({ state: 'rejected', errorCode: 'rejected_by_user', pid: null, startedAt: null });
  });

  it('refuses a second answer to the same prompt with 409', async () => {
    const execute = await api.execute('echo', ['twice']);
    const promptId = String(execute.body.promptId);
    expect((await api.resolve(promptId, 'reject')).status).toBe(200);
    const again = await api.resolve(promptId, 'allow_once');
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: { code: 'conflict', details: { state: 'rejected' } } });
    expect((await api.resolve('prm_unknown', 'allow_once')).status).toBe(404);
  });

  it.each<[string, string, Record<string, unknown>]>([
    ['an executable name', 'shutdown', {}],
    ['an absolute path', '/usr/bin/yes', {}],
    ['a name resolving to a denied path', 'yes', {}],
    ['a shell line naming it', 'echo hi; shutdown -h now', { shell: true }],
  ])('denies by bridge policy %s: 403 bridge_policy_denied, no prompt, decision recorded', async (_, command, extra) => {
    const execute = await api.execute(command, [], extra);
    expect(execute.status).toBe(403);
    expect(execute.body).toMatchObject({ error: { code: 'bridge_policy_denied', details: { runId: expect.any(String), decisionId: expect.any(String) } } });
    const { runId, decisionId } = (execute.body.error as { details: { runId: string; decisionId: string } }).details;
    expect((await api.call('GET', `/api/v1/system/commands/runs/${runId}`)).body).toMatchObject({ state: 'rejected', errorCode: 'bridge_policy_denied' });
    const audit = await api.call<{ decisions: Array<Record<string, unknown>> }>('GET', '/api/v1/ui/decisions', undefined, { ui: true });
    expect(audit.body.decisions.find((d) => d.decisionId === decisionId)).toMatchObject({ decidedBy: 'policy', outcome: 'rejected', policy: expect.any(String) });
  });

  it('lists pending prompts for the local UI with what would run, who asked and the rule it would save', async () => {
    const execute = await api.execute('ls', ['-la'], { workingDirectory: '/tmp', title: 'Run ls' });
    const prompts = await api.call<{ prompts: Array<Record<string, unknown>> }>('GET', '/api/v1/ui/prompts', undefined, { ui: true });
    expect(prompts.body.prompts.find((p) => p.promptId === execute.body.promptId)).toMatchObject({
      state: 'pending',
      kind: 'command',
      title: 'Run ls',
      reason: 'end-to-end test',
      template: { command: 'ls', args: ['-la'], cwd: '/tmp' },
      cwd: '/tmp',
      requestedBy: { kind: 'session', origin: api.bridge.origin },
      whitelistAllowed: true,
      proposedRule: { executable: 'ls', args: ['-la'], anyFurtherArgs: false, shell: false },
      expiresAt: expect.any(String),
    });
    expect((await api.call('GET', '/api/v1/ui/prompts')).status).toBe(403);
  });
});

describe('an unanswered prompt', () => {
  it('expires: the run ends rejected with permission_timeout, distinct from rejected_by_user', async () => {
    const api = await startApi({ config: { commandPath: 'inherited', promptTimeoutMs: 300 } });
    try {
      const execute = await api.execute('echo', ['too late']);
      const run = await api.waitRun(String(execute.body.runId));
      expect(run.body).toMatchObject({ state: 'rejected', errorCode: 'permission_timeout' });
      const late = await api.resolve(String(execute.body.promptId), 'allow_once');
      expect(late).toMatchObject({ status: 409, body: { error: { details: { state: 'expired' } } } });
      const audit = await api.call<{ decisions: Array<Record<string, unknown>> }>('GET', '/api/v1/ui/decisions', undefined, { ui: true });
      expect(audit.body.decisions[0]).toMatchObject({ decidedBy: 'timeout', outcome: 'rejected', promptId: execute.body.promptId });
    } finally {
      await api.bridge.close();
    }
  });
});
