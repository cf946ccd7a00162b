import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runBounded } from '../../src/system/bounded-run.js';
import { isAlive as alive } from '../support/proc.js';

const shell = path.resolve(import.meta.dirname, '../fixtures/system-login-shell.sh');
const boundedRun = path.resolve(import.meta.dirname, '../../src/system/bounded-run.ts');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'system-bounded-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));


describe('runBounded', () => {
  it('returns what the command printed and its exit code', async () => {
    expect(await runBounded('/bin/sh', ['-c', 'echo out; echo err >&2; exit 4'], { timeoutMs: 10_000 })).toEqual({
      stdout: 'out',
      stderr: 'err',
      exitCode: 4,
      failure: null,
    });
  });

  it('reports a command that cannot start', async () => {
    expect(await runBounded(path.join(dir, 'missing'), [], { timeoutMs: 10_000 })).toMatchObject({ failure: 'spawn_error', errorCode: 'ENOENT' });
  });

  it('leaves nothing behind when the bridge exits while a helper still runs', async () => {
    const pidFile = path.join(dir, 'orphan.pid');
    // A separate process starts a slow helper, waits for its grandchild's pid (written, not just the
    // file created), then exits at once.
    const script = `
      import { runBounded } from ${JSON.stringify(boundedRun)};
      import { existsSync, readFileSync } from 'node:fs';
      void runBounded(${JSON.stringify(shell)}, ['-ilc', 'true'], { timeoutMs: 60_000, env: { PATH: '/usr/bin:/bin', SYSTEM_SHELL_MODE: 'slow', SYSTEM_SHELL_PIDFILE: ${JSON.stringify(pidFile)} } });
      const wait = setInterval(() => { if (existsSync(${JSON.stringify(pidFile)}) && readFileSync(${JSON.stringify(pidFile)}, 'utf8').trim()) { clearInterval(wait); process.exit(0); } }, 20);
    `;
    await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 20_000 });
    const grandchild = Number(await readFile(pidFile, 'utf8'));
    expect(grandchild).toBeGreaterThan(0);
    await vi.waitFor(() => expect(alive(grandchild)).toBe(false), { timeout: 5_000 });
  });
});
