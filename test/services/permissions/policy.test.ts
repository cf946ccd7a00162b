import { describe, expect, it } from 'vitest';
import { deniedBy } from '../../../src/services/permissions/policy.js';

describe('bridge policy (deny list)', () => {
  const denyList = ['rm', 'shutdown', '/usr/bin/curl'];

  it.each([
    ['a denied name', 'rm', false, undefined, 'rm'],
    ['a denied name given as a path', '/bin/rm', false, undefined, 'rm'],
    ['a denied path', '/usr/bin/curl', false, undefined, '/usr/bin/curl'],
    ['a path with dot segments', '/usr/bin/../bin/curl', false, undefined, '/usr/bin/curl'],
    ['a name that resolves to a denied path', 'curl', false, '/usr/bin/curl', '/usr/bin/curl'],
    ['a shell line with a denied word after a separator', 'echo ok && rm -rf x', true, undefined, 'rm'],
    ['a shell line with a denied word in a substitution', 'echo $(shutdown now)', true, undefined, 'shutdown'],
    ['a shell line with a quoted denied word', "echo ok; 'rm' x", true, undefined, 'rm'],
  ] as const)('denies %s', (_, command, shell, resolvedPath, entry) => {
    expect(deniedBy(denyList, { command, shell, resolvedPath })).toBe(entry);
  });

  it.each([
    ['a name that only starts like a denied one', 'rmdir', false],
    ['a denied name as an argument of a direct command', 'echo', false],
    ['the same name elsewhere on a path entry', '/opt/curl', false],
    ['a shell line without denied words', 'echo rmdir', true],
  ] as const)('allows %s', (_, command, shell) => {
    expect(deniedBy(denyList, { command, shell })).toBeNull();
  });

  it('ignores case and executable extensions on Windows', () => {
    expect(deniedBy(['shutdown'], { command: 'C:\\Windows\\System32\\SHUTDOWN.EXE', shell: false }, 'win32')).toBe('shutdown');
  });

  it('denies nothing with an empty list', () => {
    expect(deniedBy([], { command: 'rm', shell: false })).toBeNull();
  });
});
