import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { vi } from 'vitest';
import { mergePaths, readLoginPath, resolveLoginPath } from '../../src/processes/login-path.js';
import { isAlive } from '../support/proc.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

describe('login-shell PATH resolution', () => {
  it('takes the PATH as soon as a shell that never exits has printed it, then kills that shell', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'login-linger-'));
    try {
      const pidFile = path.join(dir, 'pid');
      const result = await readLoginPath({
        shell: fixture('lingering-login-shell.sh'),
        env: { PATH: '/usr/bin:/bin', LINGERING_PIDFILE: pidFile },
        timeoutMs: 20_000,
      });
      expect(result).toMatchObject({ source: 'login-shell' });
      expect(result.path.split(':')[0]).toBe('/opt/lingering/bin');
      const pid = Number(await readFile(pidFile, 'utf8'));
      await vi.waitFor(() => expect(isAlive(pid)).toBe(false), { timeout: 5_000 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

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

