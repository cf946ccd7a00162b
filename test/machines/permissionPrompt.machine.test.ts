import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import type { PublishParams } from '../../machines/contract-event.js';
import { permissionPromptMachine, type PromptInput, type PromptOutcome } from '../../machines/permissionPrompt.machine.js';
import type { Decision, PromptView, WhitelistRule } from '../../src/contract/routes/permissions.js';

const input = (overrides: Partial<PromptInput> = {}): PromptInput => ({
  promptId: 'prm_1',
  kind: 'command',
  subjectId: 'run_1',
  title: 'List files',
  reason: 'to see the project',
  requestedBy: { kind: 'session', sessionId: 'ses_1', origin: 'https://app.example' },
  template: { command: 'ls', args: ['-la', '__OSL_SECRET[dir]__'] },
  shell: false,
  cwd: '/home/user',
  whitelistAllowed: true,
  details: null,
  context: { source: 'skill', skillId: 'skill-a', taskId: 'task-1', runId: null },
  scope: { origin: 'https://app.example', skillId: 'skill-a' },
  analysis: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  expiresAt: '2026-01-01T00:01:00.000Z',
  timeoutMs: 60_000,
  expiryDecisionId: 'dec_expiry',
  ...overrides,
});

const user = { kind: 'ui' } as const;

function startPrompt(overrides: Partial<PromptInput> = {}) {
  const clock = new SimulatedClock();
  const published: PublishParams[] = [];
  const persisted: PromptView[] = [];
  const recorded: Array<{ decision: Decision | undefined; rule: WhitelistRule | null }> = [];
  const outcomes: Array<{ subjectId: string; outcome: PromptOutcome | undefined }> = [];
  const actor = createActor(
    permissionPromptMachine.provide({
      actions: {
        publish: (_, params) => void published.push(params),
        persistPrompt: (_, view) => void persisted.push(view),
        recordDecision: (_, params) => void recorded.push(params),
        announceOutcome: (_, params) => void outcomes.push(params),
      },
    }),
    { clock, input: input(overrides) },
  ).start();
  return { actor, clock, published, persisted, recorded, outcomes };
}

const resolve = (decision: 'allow_once' | 'allow_and_whitelist' | 'reject', extra: { ruleId?: string | null; ruleArgsPrefix?: number; ruleScope?: 'skill' | 'origin' } = {}) => ({
  type: 'prompt.resolve' as const,
  decision,
  decisionId: 'dec_1',
  ruleId: extra.ruleId ?? null,
  ...(extra.ruleArgsPrefix !== undefined ? { ruleArgsPrefix: extra.ruleArgsPrefix } : {}),
  ...(extra.ruleScope !== undefined ? { ruleScope: extra.ruleScope } : {}),
  resolvedBy: user,
  at: '2026-01-01T00:00:10.000Z',
});

describe('permission prompt machine', () => {
  it('announces the prompt with template fields, who asked, expiry and the rule that would be saved', () => {
    const { actor, published, persisted } = startPrompt();
    expect(actor.getSnapshot().value).toBe('pending');
    expect(published).toHaveLength(1);
    const created = published[0]!;
    expect(created.type).toBe('permission.prompt.created');
    expect(created.data).toMatchObject({
      promptId: 'prm_1',
      state: 'pending',
      kind: 'command',
      template: { command: 'ls', args: ['-la', '__OSL_SECRET[dir]__'] },
      cwd: '/home/user',
      requestedBy: { kind: 'session', sessionId: 'ses_1', origin: 'https://app.example' },
      expiresAt: '2026-01-01T00:01:00.000Z',
      whitelistAllowed: true,
      proposedRule: { executable: 'ls', args: ['-la', '__OSL_SECRET[dir]__'], anyFurtherArgs: false, shell: false, cwd: null, env: {}, stdin: null, scope: { origin: 'https://app.example', skillId: 'skill-a' } },
      context: { skillId: 'skill-a', taskId: 'task-1' },
    });
    expect(persisted.map((view) => view.state)).toEqual(['pending']);
  });

  it('shows no rule to save for a request that can never be whitelisted', () => {
    const { published } = startPrompt({ kind: 'install', whitelistAllowed: false });
    expect(published[0]!.data).toMatchObject({ whitelistAllowed: false, proposedRule: null });
  });

  it('allows once: records the user decision and tells the requester, creating no rule', () => {
    const { actor, published, recorded, outcomes } = startPrompt();
    actor.send(resolve('allow_once'));
    expect(actor.getSnapshot().value).toBe('allowed_once');
    expect(actor.getSnapshot().status).toBe('done');
    expect(recorded).toEqual([
      {
        rule: null,
        decision: expect.objectContaining({ decisionId: 'dec_1', decidedBy: 'user', outcome: 'allowed', decision: 'allow_once', promptId: 'prm_1', ruleId: null, resolvedBy: user }),
      },
    ]);
    expect(published.map((p) => p.type)).toEqual(['permission.prompt.created', 'permission.decision.recorded', 'permission.prompt.resolved']);
    expect(outcomes).toEqual([
      { subjectId: 'run_1', outcome: { outcome: 'allowed', decidedBy: 'user', decision: 'allow_once', ruleId: null, promptId: 'prm_1', decisionId: 'dec_1' } },
    ]);
  });

  it('allows and whitelists: creates the rule on the template, with the first N arguments and "*" when asked', () => {
    const { actor, published, recorded, outcomes } = startPrompt();
    actor.send(resolve('allow_and_whitelist', { ruleId: 'rule_1', ruleArgsPrefix: 1 }));
    expect(actor.getSnapshot().value).toBe('allowed_and_whitelisted');
    const rule = recorded[0]!.rule;
    expect(rule).toEqual({
      ruleId: 'rule_1',
      executable: 'ls',
      args: ['-la'],
      anyFurtherArgs: true,
      shell: false,
      cwd: null,
      env: {},
      stdin: null,
      scope: { origin: 'https://app.example', skillId: 'skill-a' },
      createdAt: '2026-01-01T00:00:10.000Z',
      lastUsedAt: null,
      useCount: 0,
      createdByPromptId: 'prm_1',
    });
    expect(published.map((p) => p.type)).toEqual([
      'permission.prompt.created',
      'permission.whitelist.updated',
      'permission.decision.recorded',
      'permission.prompt.resolved',
    ]);
    expect(outcomes[0]!.outcome).toMatchObject({ outcome: 'allowed', decision: 'allow_and_whitelist', ruleId: 'rule_1' });
  });

  it('widens a rule to every skill of the asking origin, never to another origin, when asked', () => {
    const { actor, recorded } = startPrompt();
    actor.send(resolve('allow_and_whitelist', { ruleId: 'rule_1', ruleScope: 'origin' }));
    expect(recorded[0]!.rule?.scope).toEqual({ origin: 'https://app.example', skillId: null });
  });

  it('shows the template with invisible characters escaped, and flags them', () => {
    const { published } = startPrompt({ template: { command: 'echo', args: ['ok \u202e; touch x', 'a\u200bb'] } });
    const view = published[0]!.data as PromptView;
    expect(view.shown.args).toEqual(['ok ⟪U+202E⟫; touch x', 'a⟪U+200B⟫b']);
    expect(view.flags.filter((f) => f.code === 'hidden_characters').map((f) => f.field)).toEqual(['args[0]', 'args[1]']);
  });

  it('records who asked and in which context with every decision', () => {
    const { actor, recorded } = startPrompt();
    actor.send(resolve('reject'));
    expect(recorded[0]!.decision).toMatchObject({ requestedBy: { kind: 'session', origin: 'https://app.example' }, context: { skillId: 'skill-a' }, resolvedBy: { kind: 'ui' } });
  });

  it('ignores allow_and_whitelist on a request that may not be whitelisted', () => {
    const { actor, recorded } = startPrompt({ kind: 'install', whitelistAllowed: false });
    actor.send(resolve('allow_and_whitelist', { ruleId: 'rule_1' }));
    expect(actor.getSnapshot().value).toBe('pending');
    expect(recorded).toEqual([]);
  });

  it('rejects with rejected_by_user', () => {
    const { actor, outcomes, recorded } = startPrompt();
    actor.send(resolve('reject'));
    expect(actor.getSnapshot().value).toBe('rejected');
    expect(recorded[0]!.decision).toMatchObject({ decidedBy: 'user', outcome: 'rejected', decision: 'reject' });
    expect(outcomes[0]!.outcome).toEqual({ outcome: 'rejected', decidedBy: 'user', code: 'rejected_by_user', promptId: 'prm_1', decisionId: 'dec_1' });
  });

  it('expires on its own timer with a timeout decision and permission_timeout for the requester', () => {
    const { actor, clock, published, recorded, outcomes } = startPrompt();
    clock.increment(59_999);
    expect(actor.getSnapshot().value).toBe('pending');
    clock.increment(1);
    expect(actor.getSnapshot().value).toBe('expired');
    expect(recorded[0]!.decision).toMatchObject({ decisionId: 'dec_expiry', decidedBy: 'timeout', outcome: 'rejected', at: '2026-01-01T00:01:00.000Z' });
    expect(published.map((p) => p.type)).toEqual(['permission.prompt.created', 'permission.decision.recorded', 'permission.prompt.expired']);
    expect(outcomes[0]!.outcome).toMatchObject({ outcome: 'rejected', decidedBy: 'timeout', code: 'permission_timeout' });
  });

  it('resolves only once: an answered prompt is final, so nothing can answer it again', () => {
    const { actor, recorded } = startPrompt();
    actor.send(resolve('reject'));
    expect(actor.getSnapshot().status).toBe('done');
    expect(recorded).toHaveLength(1);
  });

  it('is cancelled without a decision or an outcome when the requester withdraws it', () => {
    const { actor, published, persisted, recorded, outcomes } = startPrompt();
    actor.send({ type: 'prompt.cancel', at: '2026-01-01T00:00:05.000Z' });
    expect(actor.getSnapshot().value).toBe('cancelled');
    expect(recorded).toEqual([{ decision: undefined, rule: null }]);
    expect(outcomes).toEqual([{ subjectId: 'run_1', outcome: undefined }]);
    expect(published.at(-1)).toEqual({
      type: 'permission.prompt.resolved',
      data: { promptId: 'prm_1', kind: 'command', state: 'cancelled', decisionId: null, ruleId: null },
    });
    expect(persisted.at(-1)).toMatchObject({ state: 'cancelled', resolvedAt: '2026-01-01T00:00:05.000Z' });
  });
});
