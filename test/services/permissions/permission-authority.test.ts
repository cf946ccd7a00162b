import { afterEach, describe, expect, it } from 'vitest';
import {
  permissionSubjects,
  type PermissionOutcome,
  type PermissionRequest,
  type PermissionVerdict,
} from '../../../src/services/permissions/permission-api.js';
import { eventually, startCommandsHarness, USER, type CommandsHarness } from '../commands/harness.js';

const request = (overrides: Partial<PermissionRequest> = {}): PermissionRequest => ({
  subjectKind: 'mcp_server',
  subjectId: 'srv_1',
  template: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-everything'] },
  title: 'Start the "everything" MCP server',
  reason: null,
  requestedBy: USER,
  whitelistAllowed: true,
  ...overrides,
});

/** The permission authority through its bus API (permission-api.ts), as the MCP and install capabilities use it. */
describe('permission authority bus API', () => {
  let harness: CommandsHarness;
  afterEach(async () => {
    await harness?.stop();
  });

  function listen(subjectId: string) {
    const outcomes: PermissionOutcome[] = [];
    harness.bus.subscribe(permissionSubjects(harness.subjects).outcome(subjectId), (message) => void outcomes.push(message.data as PermissionOutcome));
    return outcomes;
  }
  const ask = (body: unknown) => harness.bus.request<PermissionVerdict>(permissionSubjects(harness.subjects).request, body);
  const resolve = (promptId: string, decision: string) => harness.call('system.permissions.prompts.resolve', { params: { requestId: promptId }, body: { decision } });

  it('opens a prompt, then tells the requester the user\'s answer once it is recorded', async () => {
    harness = await startCommandsHarness();
    const outcomes = listen('srv_1');
    const verdict = await ask(request());
    expect(verdict).toMatchObject({ outcome: 'pending', promptId: expect.any(String), expiresAt: expect.any(String) });
    const promptId = (verdict as { promptId: string }).promptId;
    await resolve(promptId, 'allow_and_whitelist');
    const [outcome] = await eventually(() => (outcomes.length ? outcomes : undefined));
    expect(outcome).toMatchObject({ outcome: 'allowed', decidedBy: 'user', decision: 'allow_and_whitelist', promptId, ruleId: expect.any(String) });
    const types = harness.events.map((e) => e.type);
    expect(types.indexOf('permission.decision.recorded')).toBeLessThan(types.indexOf('permission.prompt.resolved'));

    // The rule now allows the same template, for any kind but installs.
    expect(await ask(request({ subjectId: 'srv_2' }))).toMatchObject({ outcome: 'allowed', decidedBy: 'rule', ruleId: outcome!.outcome === 'allowed' ? outcome!.ruleId : '' });
    expect(await ask(request({ subjectId: 'inst_1', subjectKind: 'install', whitelistAllowed: true }))).toMatchObject({ outcome: 'pending' });
  });

  it('denies by policy before looking at rules, and records the policy decision', async () => {
    harness = await startCommandsHarness({ config: { denyList: ['npx'] } });
    const verdict = await ask(request());
    expect(verdict).toMatchObject({ outcome: 'denied', decidedBy: 'policy', code: 'bridge_policy_denied', policy: 'npx' });
    const recorded = harness.events.find((e) => e.type === 'permission.decision.recorded');
    expect(recorded?.data).toMatchObject({ decidedBy: 'policy', outcome: 'rejected', policy: 'npx', subject: { kind: 'mcp_server', id: 'srv_1' } });
  });

  it('tells the requester permission_timeout when the prompt expires', async () => {
    harness = await startCommandsHarness({ config: { promptTimeoutMs: 20 } });
    const outcomes = listen('srv_1');
    await ask(request());
    const [outcome] = await eventually(() => (outcomes.length ? outcomes : undefined), 100_000);
    expect(outcome).toMatchObject({ outcome: 'rejected', decidedBy: 'timeout', code: 'permission_timeout' });
  });

  it('withdraws a pending prompt on cancel: no decision, no outcome, and a later answer gets 409', async () => {
    harness = await startCommandsHarness();
    const outcomes = listen('srv_1');
    const { promptId } = (await ask(request())) as { promptId: string };
    const api = permissionSubjects(harness.subjects);
    expect(await harness.bus.request(api.cancel, { promptId })).toEqual({ cancelled: true });
    expect(await harness.bus.request(api.cancel, { promptId })).toEqual({ cancelled: false });
    expect(harness.events.find((e) => e.type === 'permission.prompt.resolved')?.data).toMatchObject({ promptId, state: 'cancelled', decisionId: null });
    expect(harness.events.some((e) => e.type === 'permission.decision.recorded')).toBe(false);
    await expect(resolve(promptId, 'allow_once')).rejects.toMatchObject({ code: 'conflict' });
    expect(outcomes).toEqual([]);
  });

  it.each([
    ['no template', { template: undefined }],
    ['an id that is not subject-safe', { subjectId: 'a.b' }],
    ['an unknown kind', { subjectKind: 'daemon' }],
    ['a NUL byte in an argument', { template: { command: 'ls', args: ['a\0b'] } }],
  ])('refuses a request with %s as invalid_request', async (_, overrides) => {
    harness = await startCommandsHarness();
    await expect(ask({ ...request(), ...overrides })).rejects.toMatchObject({ code: 'invalid_request' });
  });
});
