import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Decision, PromptView, WhitelistRule } from '../../src/contract/routes/permissions.js';
import { PermissionStore } from '../../src/services/permissions/permission-store.js';
import { openDatabase, type SqliteDatabase } from '../../src/storage/database.js';

const rule = (ruleId: string, executable = 'git'): WhitelistRule => ({
  ruleId,
  executable,
  args: ['status'],
  anyFurtherArgs: false,
  shell: false,
  cwd: '/repo',
  env: { DEBUG: '1' },
  stdin: null,
  scope: { origin: 'https://app.example', skillId: 'skill-a' },
  createdAt: '2026-01-01T00:00:00.000Z',
  lastUsedAt: null,
  useCount: 0,
  createdByPromptId: 'prm_1',
});

const decision = (decisionId: string, promptId: string | null = null): Decision => ({
  decisionId,
  at: '2026-01-01T00:00:00.000Z',
  subject: { kind: 'command', id: 'run_1' },
  decidedBy: 'user',
  outcome: 'allowed',
  decision: 'allow_and_whitelist',
  promptId,
  ruleId: null,
  policy: null,
  resolvedBy: { kind: 'ui' },
});

const prompt = (promptId: string): PromptView => ({
  promptId,
  state: 'pending',
  kind: 'command',
  subjectId: 'run_1',
  title: 't',
  reason: null,
  requestedBy: { kind: 'ui' },
  template: { command: 'git', args: ['status'] },
  shell: false,
  cwd: '/home/me',
  whitelistAllowed: true,
  proposedRule: null,
  prefixRule: { allowed: false, refusedBecause: 'x', warning: null, examples: [] },
  shown: { command: 'git', args: ['status'], cwd: '/home/me', env: [], stdin: null },
  flags: [],
  commandsFound: null,
  context: null,
  details: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  expiresAt: '2026-01-01T00:01:00.000Z',
  resolvedAt: null,
});

describe('permission store', () => {
  let db: SqliteDatabase;
  let store: PermissionStore;
  beforeEach(() => {
    db = openDatabase(':memory:');
    store = new PermissionStore(db);
  });
  afterEach(() => db.close());

  it('stores a decision and the rule it created together, or neither', () => {
    store.record(decision('dec_1', 'prm_1'), rule('rule_1'));
    expect(store.rules.get('rule_1')).toEqual(rule('rule_1'));
    expect(store.decisions.forPrompt('prm_1')).toEqual(decision('dec_1', 'prm_1'));
    // A duplicate decision id fails the transaction: the new rule is not kept either.
    expect(() => store.record(decision('dec_1'), rule('rule_2'))).toThrow();
    expect(store.rules.get('rule_2')).toBeUndefined();
  });

  it('counts and dates each use of a rule, and deletes it', () => {
    store.rules.insert(rule('rule_1'));
    store.rules.touch('rule_1', '2026-01-03T00:00:00.000Z');
    expect(store.rules.touch('rule_1', '2026-01-04T00:00:00.000Z')).toMatchObject({ useCount: 2, lastUsedAt: '2026-01-04T00:00:00.000Z' });
    expect(store.rules.delete('rule_1')).toMatchObject({ ruleId: 'rule_1' });
    expect(store.rules.delete('rule_1')).toBeUndefined();
  });

  it('records the decision a rule made with the rule\'s use, and counts no use whose decision was not stored', () => {
    store.rules.insert(rule('rule_1'));
    const allowed: Decision = { ...decision('dec_1'), decidedBy: 'rule', decision: null, ruleId: 'rule_1', resolvedBy: null };
    expect(store.recordRuleUse(allowed, 'rule_1', '2026-01-03T00:00:00.000Z')).toMatchObject({ useCount: 1, lastUsedAt: '2026-01-03T00:00:00.000Z' });
    expect(store.decisions.list({ limit: 10 }).decisions).toEqual([allowed]);
    // A decision id already taken fails the insert: the use is then not counted either.
    expect(() => store.recordRuleUse(allowed, 'rule_1', '2026-01-04T00:00:00.000Z')).toThrow();
    expect(store.rules.get('rule_1')).toMatchObject({ useCount: 1, lastUsedAt: '2026-01-03T00:00:00.000Z' });
  });

  it('finds rule candidates by exact executable and lists rules newest first', () => {
    store.rules.insert(rule('rule_1', 'git'));
    store.rules.insert(rule('rule_2', 'npm'));
    store.rules.insert(rule('rule_3', 'git'));
    expect(store.rules.forExecutable('git').map((r) => r.ruleId)).toEqual(['rule_1', 'rule_3']);
    expect(store.rules.forExecutable('/usr/bin/git')).toEqual([]);
    expect(store.rules.list().map((r) => r.ruleId)).toEqual(['rule_3', 'rule_2', 'rule_1']);
  });

  it('pages the decision audit newest first', () => {
    for (let i = 0; i < 3; i++) store.decisions.insert(decision(`dec_${i}`));
    const first = store.decisions.list({ limit: 2 });
    expect(first.decisions.map((d) => d.decisionId)).toEqual(['dec_2', 'dec_1']);
    expect(store.decisions.list({ limit: 2, cursor: first.nextCursor! })).toEqual({ decisions: [decision('dec_0')], nextCursor: null });
  });

  it('cancels prompts left pending by a bridge process that is gone', () => {
    store.prompts.save(prompt('prm_1'));
    store.prompts.save({ ...prompt('prm_2'), state: 'rejected' });
    expect(store.prompts.pending().map((p) => p.promptId)).toEqual(['prm_1']);
    store.prompts.cancelPending('2026-01-02T00:00:00.000Z');
    expect(store.prompts.pending()).toEqual([]);
    expect(store.prompts.get('prm_1')).toMatchObject({ state: 'cancelled', resolvedAt: '2026-01-02T00:00:00.000Z' });
  });
});

describe('whitelist rules with their scope', () => {
  it('keeps cwd, env, stdin and scope, and lists a session only its own origin\'s rules', () => {
    const db = openDatabase(':memory:');
    const store = new PermissionStore(db);
    const base = rule('rule_a');
    store.rules.insert(base);
    store.rules.insert({ ...base, ruleId: 'rule_b', scope: { origin: 'https://other.example', skillId: null }, stdin: 'echo hello' });
    expect(store.rules.get('rule_b')).toMatchObject({ cwd: '/repo', env: { DEBUG: '1' }, stdin: 'echo hello', scope: { origin: 'https://other.example', skillId: null } });
    expect(store.rules.list({ origin: 'https://app.example' }).map((r) => r.ruleId)).toEqual(['rule_a']);
    expect(store.rules.list({ origin: null })).toEqual([]);
    expect(store.rules.list().map((r) => r.ruleId)).toEqual(['rule_b', 'rule_a']);
    db.close();
  });

  it('reads a rule saved before scopes existed as the local UI\'s, with no cwd, env or stdin', () => {
    const db = openDatabase(':memory:');
    db.prepare(
      "INSERT INTO whitelist_rules (rule_id, executable, args, any_further_args, shell, created_at, use_count, created_by_prompt_id) VALUES ('rule_old', 'git', '[\"status\"]', 0, 0, '2026-01-01T00:00:00.000Z', 0, 'prm_1')",
    ).run();
    expect(new PermissionStore(db).rules.get('rule_old')).toMatchObject({ cwd: null, env: {}, stdin: null, scope: { origin: null, skillId: null } });
    db.close();
  });
});
