import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subjectsFor } from '../../src/bus/subjects.js';
import type { InternalStartRequest } from '../../src/services/commands/commands-service.js';
import { startApi, type Api } from './commands-support.js';

/** Whitelist rules: created only by allow_and_whitelist, matched on template fields, listed, revoked. */
describe('whitelist rules end to end', () => {
  let api: Api;

  beforeAll(async () => {
    api = await startApi({ config: { commandPath: 'inherited' } });
  });
  afterAll(async () => {
    await api?.bridge.close();
  });

  const whitelist = async (command: string, args: string[], extra: Record<string, unknown> = {}, resolveExtra: Record<string, unknown> = {}) => {
    const execute = await api.execute(command, args, extra);
    const resolved = await api.resolve(String(execute.body.promptId), 'allow_and_whitelist', resolveExtra);
    expect(resolved.status).toBe(200);
    await api.waitRun(String(execute.body.runId));
    return String(resolved.body.ruleId);
  };

  it('matches the template, never the resolved values', async () => {
    const secretArg = (value: string) => ({ argsTemplate: ['__OSL_SECRET[token]__'], args: [value] });
    const first = await api.execute('echo', ['s1'], secretArg('s1'));
    await api.resolve(String(first.body.promptId), 'allow_and_whitelist');
    const rules = await api.call<{ rules: Array<Record<string, unknown>> }>('GET', '/api/v1/system/permissions/commands');
    expect(rules.body.rules[0]).toMatchObject({ executable: 'echo', args: ['__OSL_SECRET[token]__'] });
    expect(JSON.stringify(rules.body)).not.toContain('s1');

    // Another resolved value behind the same template: the same rule allows it.
    expect((await api.execute('echo', ['s2'], secretArg('s2'))).body).toMatchObject({ ruleId: rules.body.rules[0]!.ruleId });
    // A literal value where the template had a placeholder: another request, another prompt.
    expect((await api.execute('echo', ['s2'])).body).toMatchObject({ state: 'awaiting_permission' });
  });

  it('saves "the first N arguments, then anything" when asked, and nothing broader', async () => {
    const ruleId = await whitelist('echo', ['prefix', 'one'], {}, { ruleArgsPrefix: 1 });
    const rule = await api.call('GET', `/api/v1/system/permissions/commands/${ruleId}`);
    expect(rule.body).toMatchObject({ executable: 'echo', args: ['prefix'], anyFurtherArgs: true });
    expect((await api.execute('echo', ['prefix', 'two', 'three'])).body).toMatchObject({ ruleId });
    expect((await api.execute('echo', ['prefix'])).body).toMatchObject({ ruleId });
    expect((await api.execute('echo', ['other'])).body).toMatchObject({ state: 'awaiting_permission' });
  });

  it.each<[string, Record<string, unknown>, string, string[], Record<string, unknown>]>([
    ['more arguments than the template has', { ruleArgsPrefix: 5 }, 'echo', ['x'], {}],
    ['"any further arguments" on a shell line', { ruleArgsPrefix: 0 }, 'echo shell', [], { shell: true }],
  ])('refuses a rule with %s (400)', async (_, resolveExtra, command, args, extra) => {
    const execute = await api.execute(command, args, extra);
    const resolved = await api.resolve(String(execute.body.promptId), 'allow_and_whitelist', resolveExtra);
    expect(resolved.status).toBe(400);
    expect(resolved.body).toMatchObject({ error: { code: 'invalid_request', details: { field: 'ruleArgsPrefix' } } });
    // The prompt is still open: a valid answer works.
    expect((await api.resolve(String(execute.body.promptId), 'reject')).status).toBe(200);
  });

  it('announces every change of a rule, deletes it, and then the same request prompts again', async () => {
    const changes: Array<{ change: string; rule: { ruleId: string } }> = [];
    const subscription = api.bridge.bus.subscribe(subjectsFor(api.bridge.bridgeId).event('permission.whitelist.updated'), (message) => {
      changes.push(message.data as (typeof changes)[number]);
    });
    const ruleId = await whitelist('echo', ['revocable']);
    await api.waitRun(String((await api.execute('echo', ['revocable'])).body.runId));
    const deleted = await api.call('DELETE', `/api/v1/system/permissions/commands/${ruleId}`);
    expect(deleted).toMatchObject({ status: 200, body: { ruleId, deleted: true } });
    expect((await api.call('GET', `/api/v1/system/permissions/commands/${ruleId}`)).status).toBe(404);
    expect((await api.call('DELETE', `/api/v1/system/permissions/commands/${ruleId}`)).status).toBe(404);
    expect((await api.execute('echo', ['revocable'])).body).toMatchObject({ state: 'awaiting_permission' });
    subscription.unsubscribe();
    expect(changes.filter((c) => c.rule.ruleId === ruleId).map((c) => c.change)).toEqual(['created', 'used', 'deleted']);
  });

  it('never lets a rule allow an install, and refuses to whitelist one', async () => {
    await whitelist('echo', ['install-step']);
    const subjects = subjectsFor(api.bridge.bridgeId);
    const request: InternalStartRequest = {
      command: 'echo',
      args: ['install-step'],
      template: { command: 'echo', args: ['install-step'] },
      title: 'Install a tool',
      reason: 'the agent needs it',
      requestedBy: { kind: 'ui' },
      subjectKind: 'install',
      whitelistAllowed: true,
      details: { tool: 'jq', packageManager: 'apt' },
    };
    const started = await api.bridge.bus.request<{ runId: string; state: string; promptId: string }>(subjects.internal('commands.start'), request);
    expect(started).toMatchObject({ state: 'awaiting_permission', promptId: expect.any(String) });

    const prompts = await api.call<{ prompts: Array<Record<string, unknown>> }>('GET', '/api/v1/ui/prompts', undefined, { ui: true });
    expect(prompts.body.prompts.find((p) => p.promptId === started.promptId)).toMatchObject({
      kind: 'install',
      whitelistAllowed: false,
      proposedRule: null,
      details: { tool: 'jq', packageManager: 'apt' },
    });
    // Raised by the UI (requestedBy), so answered by the UI: a session answers only its own prompts.
    const whitelisted = await api.resolve(started.promptId, 'allow_and_whitelist', {}, { ui: true });
    expect(whitelisted).toMatchObject({ status: 400, body: { error: { code: 'invalid_request', details: { field: 'decision' } } } });
    expect((await api.resolve(started.promptId, 'allow_once', {}, { ui: true })).body).toMatchObject({ state: 'allowed_once' });
    // The UI's run, seen by the UI: a session sees only its own origin's runs.
    const run = await api.call('GET', `/api/v1/system/commands/runs/${started.runId}?waitMs=20000`, undefined, { ui: true });
    expect(run.body).toMatchObject({ kind: 'install', state: 'completed' });
  });
});

describe('approvals.localOnly', () => {
  it('lets only the local UI answer prompts; a web-app session gets 403', async () => {
    const api = await startApi({ config: { commandPath: 'inherited', approvals: { localOnly: true } } });
    try {
      const execute = await api.execute('echo', ['local']);
      const promptId = String(execute.body.promptId);
      expect((await api.resolve(promptId, 'allow_once')).body).toMatchObject({ error: { code: 'forbidden' } });
      const byUi = await api.resolve(promptId, 'allow_and_whitelist', {}, { ui: true });
      expect(byUi.body).toMatchObject({ state: 'allowed_and_whitelisted' });
      // Revoking a rule stays open to both.
      expect((await api.call('DELETE', `/api/v1/system/permissions/commands/${String(byUi.body.ruleId)}`)).status).toBe(200);
    } finally {
      await api.bridge.close();
    }
  });
});
