import { spawn } from 'node:child_process';
import { describe, expect, it, vi } from 'vitest';

const treeKill = vi.hoisted(() => vi.fn((_pid: number, _signal: string, done: () => void) => done()));
vi.mock('tree-kill', () => ({ default: treeKill }));

const { killProcessTree, livingGroupMembers } = await import('../../src/processes/kill-tree.js');

/** A detached shell (its own process group) that ignores SIGTERM, as its children do. */
function stubbornTree(): Promise<{ pid: number; exited: Promise<NodeJS.Signals | null> }> {
  const child = spawn('sh', ['-c', "trap '' TERM; sleep 100 & echo ready; sleep 100"], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  return new Promise((resolve) => child.stdout.once('data', () => resolve({ pid: child.pid!, exited })));
}

describe('process tree kill', () => {
  it.runIf(process.platform === 'linux')('escalates to SIGKILL for a group that ignores SIGTERM past the grace period', async () => {
    const { pid, exited } = await stubbornTree();
    expect(livingGroupMembers(pid).length).toBeGreaterThanOrEqual(2);
    await killProcessTree(pid, 100);
    expect(await exited).toBe('SIGKILL');
    expect(livingGroupMembers(pid)).toEqual([]);
  });

  it('does nothing for a group that is already gone', async () => {
    const child = spawn('true', [], { detached: true });
    await new Promise((resolve) => child.once('exit', resolve));
    await expect(killProcessTree(child.pid!, 100)).resolves.toBeUndefined();
  });

  it('ends a Windows tree at once with taskkill /T /F (through tree-kill)', async () => {
    await killProcessTree(4242, 5_000, 'win32');
    expect(treeKill).toHaveBeenCalledWith(4242, 'SIGKILL', expect.any(Function));
  });
});
