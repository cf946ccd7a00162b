import { describe, expect, it } from 'vitest';
import { checkPolicy, deniedAmong } from '../../../src/services/permissions/policy.js';

describe('bridge policy (deny list)', () => {
  const denyList = ['rm', 'shutdown', '/usr/bin/curl'];

  it.each([
    ['a denied name', 'rm', [], false, undefined, 'rm'],
    ['a denied name given as a path', '/bin/rm', [], false, undefined, 'rm'],
    ['a denied path', '/usr/bin/curl', [], false, undefined, '/usr/bin/curl'],
    ['a path with dot segments', '/usr/bin/../bin/curl', [], false, undefined, '/usr/bin/curl'],
    ['a name that resolves to a denied path', 'curl', [], false, '/usr/bin/curl', '/usr/bin/curl'],
    ['a shell line with a denied command after a separator', 'echo ok && rm -rf x', [], true, undefined, 'rm'],
    ['a shell line with a denied command after ;', 'echo x; rm -f /tmp/f', [], true, undefined, 'rm'],
    ['a shell line whose denied command comes in the arguments', 'echo x;', ['rm', '-f', '/tmp/f'], true, undefined, 'rm'],
    ['a shell line with a denied command in a substitution', 'echo $(shutdown now)', [], true, undefined, 'shutdown'],
    ['a shell line with a denied command in backquotes', 'echo `shutdown now`', [], true, undefined, 'shutdown'],
    ['a shell line with a quoted denied command', "echo ok; 'rm' x", [], true, undefined, 'rm'],
    ['a shell line with a backslashed denied command', 'echo ok; \\rm x', [], true, undefined, 'rm'],
    ['a shell line with a denied command split by quotes', 'echo ok; "r"m x', [], true, undefined, 'rm'],
    ['a denied command behind env, as argv', 'env', ['FOO=1', 'rm', '-f', 'x'], false, undefined, 'rm'],
    ['a denied command behind sudo in a pipeline', 'ls | sudo -n rm x', [], true, undefined, 'rm'],
    ['a denied command behind xargs', 'xargs', ['rm'], false, undefined, 'rm'],
    ['a denied command behind find -exec', 'find', ['.', '-exec', 'rm', '{}', ';'], false, undefined, 'rm'],
    ['a denied command in sh -c, as argv', 'sh', ['-c', 'echo x; rm -f y'], false, undefined, 'rm'],
    ['a denied command in nested shells', "bash -c \"sh -c 'rm q'\"", [], true, undefined, 'rm'],
    ['a denied command in eval', 'eval "rm x"', [], true, undefined, 'rm'],
    ['a denied command in a function body', 'f() { rm x; }; f', [], true, undefined, 'rm'],
    ['a denied word in a line that does not parse', 'echo "x; rm -f y', [], true, undefined, 'rm'],
  ] as const)('denies %s', async (_, command, args, shell, resolvedPath, entry) => {
    expect((await checkPolicy(denyList, { command, args, shell, resolvedPath })).deniedBy).toBe(entry);
  });

  it.each([
    ['a name that only starts like a denied one', 'rmdir', [], false],
    ['a denied name as an argument of a direct command', 'echo', ['rm'], false],
    ['the same name elsewhere on a path entry', '/opt/curl', [], false],
    ['a shell line without denied commands', 'echo rmdir rm', [], true],
  ] as const)('allows %s', async (_, command, args, shell) => {
    expect((await checkPolicy(denyList, { command, args, shell })).deniedBy).toBeNull();
  });

  it('reports a line it cannot parse, and a command name known only at run time', async () => {
    expect((await checkPolicy([], { command: 'echo "open', shell: true })).analysis.parsed).toBe(false);
    expect((await checkPolicy([], { command: '$cmd x', shell: true })).analysis).toMatchObject({ parsed: true, dynamic: true });
    expect((await checkPolicy([], { command: 'r? x', shell: true })).analysis.dynamic).toBe(true);
    expect((await checkPolicy([], { command: 'echo a > ~/.bashrc', shell: true })).analysis.writesFiles).toBe(true);
  });

  it('ignores case and executable extensions on Windows', () => {
    expect(deniedAmong(['shutdown'], ['C:\\Windows\\System32\\SHUTDOWN.EXE'], 'win32')).toBe('shutdown');
  });

  it('denies nothing with an empty list', async () => {
    expect((await checkPolicy([], { command: 'rm', shell: false })).deniedBy).toBeNull();
  });
});
