import { describe, expect, it } from 'vitest';
import { proposeRule, ruleMatches } from '../../machines/permissionPrompt.rules.js';

const rule = (args: string[], anyFurtherArgs = false, shell = false) => ({ executable: 'git', args, anyFurtherArgs, shell });

describe('whitelist rule matching', () => {
  it.each([
    ['exactly the same arguments', rule(['status']), ['status'], true],
    ['more arguments than an exact rule', rule(['status']), ['status', '-s'], false],
    ['fewer arguments than an exact rule', rule(['status', '-s']), ['status'], false],
    ['further arguments after a "*" rule', rule(['log'], true), ['log', '--oneline', '-5'], true],
    ['no further argument after a "*" rule', rule(['log'], true), ['log'], true],
    ['another first argument than a "*" rule', rule(['log'], true), ['push', 'log'], false],
    ['a literal "*" argument, which is no wildcard', rule(['*']), ['status'], false],
    ['a "*" rule with no arguments at all', rule([], true), ['anything', 'at', 'all'], true],
  ] as const)('%s', (_, candidate, args, expected) => {
    expect(ruleMatches(candidate, { command: 'git', args, shell: false })).toBe(expected);
  });

  it('compares the executable as written: no path or case folding', () => {
    expect(ruleMatches(rule(['status']), { command: '/usr/bin/git', args: ['status'], shell: false })).toBe(false);
    expect(ruleMatches(rule(['status']), { command: 'Git', args: ['status'], shell: false })).toBe(false);
  });

  it('never mixes shell lines and direct commands', () => {
    expect(ruleMatches(rule(['status']), { command: 'git', args: ['status'], shell: true })).toBe(false);
  });

  it('never matches a shell rule with "any further arguments" (they would become shell code)', () => {
    expect(ruleMatches({ executable: 'git status', args: [], anyFurtherArgs: true, shell: true }, { command: 'git status', args: ['; rm -rf ~'], shell: true })).toBe(false);
  });

  it('proposes the exact template, or its first N arguments then "*" (never for a shell line)', () => {
    expect(proposeRule({ command: 'git', args: ['log', '-5'], shell: false })).toEqual(rule(['log', '-5']));
    expect(proposeRule({ command: 'git', args: ['log', '-5'], shell: false }, 1)).toEqual(rule(['log'], true));
    expect(proposeRule({ command: 'git log', args: [], shell: true }, 0)).toEqual({ executable: 'git log', args: [], anyFurtherArgs: false, shell: true });
  });
});
