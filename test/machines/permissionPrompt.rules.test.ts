import { describe, expect, it } from 'vitest';
import { prefixRefusal, prefixRuleOffer, proposeRule, ruleMatches, type RuleSubject } from '../../machines/permissionPrompt.rules.js';
import type { RuleMatch } from '../../src/contract/routes/permissions.js';

const APP = { origin: 'https://app.example', skillId: 'skill-a' };
const rule = (args: string[], anyFurtherArgs = false, shell = false, overrides: Partial<RuleMatch> = {}): RuleMatch => ({
  executable: 'ls',
  args,
  anyFurtherArgs,
  shell,
  cwd: null,
  env: {},
  stdin: null,
  scope: APP,
  ...overrides,
});
const subject = (args: readonly string[], overrides: Partial<RuleSubject> = {}): RuleSubject => ({
  command: 'ls',
  args,
  shell: false,
  cwd: null,
  env: {},
  stdin: null,
  scope: APP,
  unreadable: false,
  ...overrides,
});

describe('whitelist rule matching', () => {
  it.each([
    ['exactly the same arguments', rule(['-la']), ['-la'], true],
    ['more arguments than an exact rule', rule(['-la']), ['-la', '/etc'], false],
    ['fewer arguments than an exact rule', rule(['-la', '/tmp']), ['-la'], false],
    ['further arguments after a "*" rule', rule(['-l'], true), ['-l', '-a', '/tmp'], true],
    ['no further argument after a "*" rule', rule(['-l'], true), ['-l'], true],
    ['another first argument than a "*" rule', rule(['-l'], true), ['-a', '-l'], false],
    ['a literal "*" argument, which is no wildcard', rule(['*']), ['-la'], false],
  ] as const)('%s', (_, candidate, args, expected) => {
    expect(ruleMatches(candidate, subject(args))).toBe(expected);
  });

  it('compares the executable as written: no path or case folding', () => {
    expect(ruleMatches(rule(['-la']), subject(['-la'], { command: '/bin/ls' }))).toBe(false);
    expect(ruleMatches(rule(['-la']), subject(['-la'], { command: 'LS' }))).toBe(false);
  });

  it('never mixes shell lines and direct commands', () => {
    expect(ruleMatches(rule(['-la']), subject(['-la'], { shell: true }))).toBe(false);
  });

  it('never matches a shell rule with "any further arguments" (they would become shell code)', () => {
    expect(ruleMatches(rule([], true, true, { executable: 'ls' }), subject(['; rm -rf ~'], { shell: true }))).toBe(false);
  });

  it('prompts for a variable the rule does not name, or another value of one it names', () => {
    const node = rule(['-e', '1'], false, false, { executable: 'node' });
    expect(ruleMatches(node, subject(['-e', '1'], { command: 'node' }))).toBe(true);
    expect(ruleMatches(node, subject(['-e', '1'], { command: 'node', env: { NODE_OPTIONS: '--require /tmp/x.js' } }))).toBe(false);
    const withEnv = rule(['-e', '1'], false, false, { executable: 'node', env: { DEBUG: '1' } });
    expect(ruleMatches(withEnv, subject(['-e', '1'], { command: 'node', env: { DEBUG: '2' } }))).toBe(false);
    expect(ruleMatches(withEnv, subject(['-e', '1'], { command: 'node', env: { DEBUG: '1' } }))).toBe(true);
  });

  it('prompts for another stdin or another working directory', () => {
    const sh = rule([], false, false, { executable: 'sh', stdin: 'echo hello' });
    expect(ruleMatches(sh, subject([], { command: 'sh', stdin: 'echo hello' }))).toBe(true);
    expect(ruleMatches(sh, subject([], { command: 'sh', stdin: 'touch /tmp/x' }))).toBe(false);
    expect(ruleMatches(sh, subject([], { command: 'sh', stdin: null }))).toBe(false);
    const git = rule(['status', '--short'], false, false, { executable: 'git', cwd: '/repo' });
    expect(ruleMatches(git, subject(['status', '--short'], { command: 'git', cwd: '/repo' }))).toBe(true);
    expect(ruleMatches(git, subject(['status', '--short'], { command: 'git', cwd: '/tmp/evil' }))).toBe(false);
    expect(ruleMatches(git, subject(['status', '--short'], { command: 'git', cwd: null }))).toBe(false);
  });

  it('never reaches another origin, nor another skill unless widened to the whole origin', () => {
    expect(ruleMatches(rule(['-la']), subject(['-la'], { scope: { origin: 'https://evil.example', skillId: 'skill-a' } }))).toBe(false);
    expect(ruleMatches(rule(['-la']), subject(['-la'], { scope: { origin: APP.origin, skillId: 'skill-b' } }))).toBe(false);
    expect(ruleMatches(rule(['-la']), subject(['-la'], { scope: { origin: APP.origin, skillId: null } }))).toBe(false);
    const widened = rule(['-la'], false, false, { scope: { origin: APP.origin, skillId: null } });
    expect(ruleMatches(widened, subject(['-la'], { scope: { origin: APP.origin, skillId: 'skill-b' } }))).toBe(true);
    expect(ruleMatches(widened, subject(['-la'], { scope: { origin: 'https://evil.example', skillId: null } }))).toBe(false);
  });

  it('never allows a request the bridge could not read', () => {
    expect(ruleMatches(rule(['-la']), subject(['-la'], { unreadable: true }))).toBe(false);
  });

  it('proposes the exact template in its scope, or its first N arguments then "*"', () => {
    expect(proposeRule(subject(['-l', '/tmp']))).toEqual(rule(['-l', '/tmp']));
    expect(proposeRule(subject(['-l', '/tmp']), 1)).toEqual(rule(['-l'], true));
    expect(proposeRule(subject([], { command: 'ls /tmp', shell: true }), 0)).toEqual(rule([], false, true, { executable: 'ls /tmp' }));
  });
});

describe('prefix rules', () => {
  it.each(['sh', 'bash', 'zsh', 'node', 'python3', '/usr/bin/python3.12', 'perl', 'ruby', 'env', 'xargs', 'sudo', 'find', 'nice', 'nohup', 'timeout', 'git', 'curl', 'tar', 'NODE.EXE'])(
    'are refused for %s',
    (command) => {
      expect(prefixRefusal({ command, shell: false, unreadable: false })).toMatch(/No prefix rule/);
      const offered = proposeRule(subject(['log'], { command }), 0);
      expect(offered.anyFurtherArgs).toBe(false);
      expect(ruleMatches({ ...rule([], true), executable: command }, subject(['log', '--output=/home/u/.bashrc'], { command }))).toBe(false);
    },
  );

  it('are refused for shell lines and lines the bridge could not read', () => {
    expect(prefixRefusal({ command: 'ls', shell: true, unreadable: false })).not.toBeNull();
    expect(prefixRefusal({ command: 'ls', shell: false, unreadable: true })).not.toBeNull();
  });

  it('come with a plain warning and examples of what else they allow', () => {
    const offer = prefixRuleOffer(subject(['-la', '/tmp']));
    expect(offer).toMatchObject({ allowed: true, refusedBecause: null });
    expect(offer.warning).toMatch(/ANY further arguments/);
    expect(offer.examples).toContain('ls ~/.ssh/id_ed25519');
    expect(prefixRuleOffer(subject(['log'], { command: 'git' }))).toMatchObject({ allowed: false, examples: [] });
  });
});
