import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mergePaths, pathFromEnvDump, readLoginPath, withLoginPath } from '../../src/processes/login-path.js';
import { isAlive } from '../support/proc.js';

const shell = path.resolve(import.meta.dirname, '../fixtures/system-login-shell.sh');
const basePath = '/usr/local/bin:/usr/bin:/bin';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'system-login-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const env = (mode: string, extra: NodeJS.ProcessEnv = {}) => ({ PATH: basePath, SYSTEM_SHELL_MODE: mode, ...extra });

describe('readLoginPath', () => {
  it('reads PATH as the login shell sets it, ignoring what the rc files print', async () => {
    const result = await readLoginPath({ shell, env: env('noisy'), timeoutMs: 10_000 });
    expect(result).toEqual({ path: `/opt/login/bin:${basePath}`, source: 'login-shell', shell });
  });

  it('keeps the bridge\'s own entries the login PATH lacks, after the login ones', async () => {
    const result = await readLoginPath({ shell, env: env('noisy', { PATH: `${basePath}:/only/in/bridge` }), timeoutMs: 10_000 });
    expect(result.path).toBe(`/opt/login/bin:${basePath}:/only/in/bridge`);
  });

  it('falls back to the bridge\'s PATH when the shell fails, saying why', async () => {
    const result = await readLoginPath({ shell, env: env('fail'), timeoutMs: 10_000 });
    expect(result).toMatchObject({ path: basePath, source: 'process' });
    expect(result.reason).toContain('printed no PATH');
  });

  it('falls back when the shell cannot start', async () => {
    const result = await readLoginPath({ shell: path.join(dir, 'no-such-shell'), env: env('noisy'), timeoutMs: 10_000 });
    expect(result.source).toBe('process');
    expect(result.reason).toContain('ENOENT');
  });

  it('gives up on a slow shell at the timeout and kills what it started', async () => {
    const pidFile = path.join(dir, 'slow.pid');
    const result = await readLoginPath({ shell, env: env('slow', { SYSTEM_SHELL_PIDFILE: pidFile }), timeoutMs: 300 });
    expect(result).toMatchObject({ source: 'process', reason: expect.stringContaining('did not answer within 300 ms') });
    const pid = Number(await vi.waitFor(() => readFile(pidFile, 'utf8')));
    await vi.waitFor(() => expect(isAlive(pid)).toBe(false), { timeout: 5_000 });
  });

  it('uses the bridge\'s PATH when there is no login shell (Windows)', async () => {
    expect(await readLoginPath({ shell: null, env: env('noisy'), platform: 'win32' })).toMatchObject({ path: basePath, source: 'process' });
  });
});

describe('pathFromEnvDump', () => {
  it.each([
    ['the PATH between the markers', 'banner\n__OSLOOP_ENV_BEGIN__\nHOME=/h\nPATH=/a:/b\n__OSLOOP_ENV_END__\n', '/a:/b'],
    ['the last block when an rc file printed one too', '__OSLOOP_ENV_BEGIN__\nPATH=/old\n__OSLOOP_ENV_END__\n__OSLOOP_ENV_BEGIN__\nPATH=/new\n__OSLOOP_ENV_END__', '/new'],
    ['nothing without markers', 'PATH=/a\n', null],
    ['nothing when PATH is empty', '__OSLOOP_ENV_BEGIN__\nPATH=\n__OSLOOP_ENV_END__', null],
  ])('finds %s', (_, dump, expected) => {
    expect(pathFromEnvDump(dump)).toBe(expected);
  });
});

describe('mergePaths and withLoginPath', () => {
  it('merges without duplicates or empty entries', () => {
    expect(mergePaths('/a::/b', '/b:/c:', ':')).toBe('/a:/b:/c');
  });

  it('replaces PATH whatever its spelling, keeping one key', () => {
    const env = withLoginPath({ Path: 'C:\\old', HOME: '/h' }, { path: '/login', source: 'login-shell', shell: '/bin/zsh' });
    expect(env).toEqual({ HOME: '/h', PATH: '/login' });
  });
});

