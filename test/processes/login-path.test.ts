import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mergePaths, resolveLoginPath } from '../../src/processes/login-path.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

describe('login-shell PATH resolution', () => {
  it('asks the login shell for its PATH, ignoring what its rc files print, and keeps inherited entries after it', async () => {
    const resolved = await resolveLoginPath({ shell: fixture('fake-login-shell.sh'), inheritedPath: '/usr/bin:/bin:/only/inherited' });
    expect(resolved.split(':')[0]).toBe('/opt/from-login-shell/bin');
    expect(resolved.split(':')).toContain('/only/inherited');
    expect(resolved).not.toContain('Welcome');
  });

  it('falls back to the inherited PATH when the shell does not answer in time', async () => {
    const resolved = await resolveLoginPath({ shell: fixture('slow-login-shell.sh'), inheritedPath: '/usr/bin:/bin', timeoutMs: 200 });
    expect(resolved).toBe('/usr/bin:/bin');
  });

  it('falls back to the inherited PATH when there is no shell, or on Windows', async () => {
    expect(await resolveLoginPath({ shell: null, inheritedPath: '/usr/bin' })).toBe('/usr/bin');
    expect(await resolveLoginPath({ shell: '/bin/sh', inheritedPath: 'C:\\Windows', platform: 'win32' })).toBe('C:\\Windows');
  });

  it('merges PATHs in order, without duplicates or empty entries', () => {
    expect(mergePaths('/a::/b', '/b:/c:', ':')).toBe('/a:/b:/c');
  });
});
