import { afterEach, describe, expect, it } from 'vitest';
import { MemoryInhibitor } from '../../../src/awake/memory-inhibitor.js';
import { MemoryProcessRunner } from '../../../src/processes/index.js';
import { createAwakeModule } from '../../../src/services/awake/awake-module.js';
import { awakeSubjects, type AwakeAcquireReply, type AwakeReleaseReply } from '../../../src/services/awake/awake-api.js';
import type { AwakeLock, AwakeStatus } from '../../../src/contract/routes/awake.js';
import { startCapabilityHarness, USER, type CapabilityHarness } from '../capability-harness.js';

let harness: CapabilityHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

async function start(inhibitor = new MemoryInhibitor()) {
  const runner = new MemoryProcessRunner();
  harness = await startCapabilityHarness(createAwakeModule({ inhibitor, runner, loginPath: async () => ({ path: '/usr/bin:/bin', source: 'process', shell: null }) }), {
    config: { awake: { restart: { initialDelayMs: 5, maxDelayMs: 20, maxAttempts: 3, stableMs: 60_000 } } },
  });
  return { h: harness, runner, inhibitor };
}

const live = (runner: MemoryProcessRunner) => runner.processes.filter((process) => !process.exited);

describe('awake service', () => {
  it('runs one inhibitor process while locks are held and ends it with the last one', async () => {
    const { h, runner } = await start();
    const first = await h.call<AwakeLock>('awake.acquire', { body: { reason: 'long build' } });
    const second = await h.call<AwakeLock>('awake.acquire', { body: { reason: 'tests' } });
    await expect.poll(() => live(runner).length).toBe(1);
    expect(runner.last.spec.args).toEqual(['long build']);

    const status = await h.call<AwakeStatus>('awake.status');
    expect(status).toMatchObject({ supported: true, active: true, inhibitor: { state: 'running', pid: runner.last.pid } });
    expect(status.locks.map((lock) => [lock.lockId, lock.reason, lock.holder])).toEqual([
      [first.lockId, 'long build', USER],
      [second.lockId, 'tests', USER],
    ]);

    await h.call('awake.release', { body: { lockId: first.lockId } });
    expect(live(runner)).toHaveLength(1);
    await h.call('awake.release', { body: { lockId: second.lockId } });
    await expect.poll(() => live(runner).length).toBe(0);
    expect(await h.call('awake.status')).toMatchObject({ active: false, inhibitor: { state: 'idle' }, locks: [] });
  });

  it('releases idempotently: a lock already gone answers released false', async () => {
    const { h } = await start();
    const lock = await h.call<AwakeLock>('awake.acquire', { body: { reason: 'x' } });
    expect(await h.call('awake.release', { body: { lockId: lock.lockId } })).toEqual({ lockId: lock.lockId, released: true });
    expect(await h.call('awake.release', { body: { lockId: lock.lockId } })).toEqual({ lockId: lock.lockId, released: false });
    expect(await h.call('awake.release', { body: { lockId: 'lock_unknown' } })).toEqual({ lockId: 'lock_unknown', released: false });
  });

  it('restarts an inhibitor that died, with a new process', async () => {
    const { h, runner } = await start();
    await h.call('awake.acquire', { body: { reason: 'x' } });
    await expect.poll(() => runner.processes.length).toBe(1);
    runner.last.write('stderr', 'lost the bus\n');
    runner.last.exit({ signal: 'SIGKILL' });
    await expect.poll(() => runner.processes.length).toBe(2);
    const status = await h.call<AwakeStatus>('awake.status');
    expect(status.inhibitor).toMatchObject({ state: 'running', restarts: 1, pid: runner.last.pid });
    expect(status.reason).toBe('the inhibitor memory-inhibitor exited: killed by SIGKILL: lost the bus');
  });

  it('reports failed after too many deaths in a row', async () => {
    const { h, runner } = await start();
    await h.call('awake.acquire', { body: { reason: 'x' } });
    for (let attempt = 1; attempt <= 3; attempt++) {
      await expect.poll(() => runner.processes.length).toBe(attempt);
      runner.last.exit({ exitCode: 1 });
    }
    await expect.poll(async () => (await h.call<AwakeStatus>('awake.status')).inhibitor.state).toBe('failed');
    expect(await h.call('awake.status')).toMatchObject({ active: false, reason: 'the inhibitor memory-inhibitor exited: exit code 1' });
  });

  it('on an unsupported machine refuses the route with 501 but holds a run\'s lock, saying unsupported', async () => {
    const { h, runner } = await start(new MemoryInhibitor({ supported: false, reason: 'no logind' }));
    await expect(h.call('awake.acquire', { body: { reason: 'x' } })).rejects.toMatchObject({ code: 'unsupported', details: { reason: 'no logind' } });
    const api = awakeSubjects(h.subjects);
    const reply = await h.bus.request<AwakeAcquireReply>(api.acquire, { reason: 'keepAwake run', holder: USER, runId: 'run_1' });
    expect(reply).toEqual({ lockId: expect.stringMatching(/^lock_/), supported: false });
    expect(await h.call('awake.status')).toMatchObject({ supported: false, reason: 'no logind', locks: [{ lockId: reply.lockId, runId: 'run_1' }] });
    expect(runner.processes).toHaveLength(0);
    expect(h.capabilities.list().find((c) => c.id === 'awake')).toEqual({ id: 'awake', available: false, reason: 'no logind' });
  });

  it('serves the internal API a keepAwake run uses: the run\'s lock ends as run_ended', async () => {
    const { h } = await start();
    const api = awakeSubjects(h.subjects);
    const { lockId } = await h.bus.request<AwakeAcquireReply>(api.acquire, { reason: 'npm test', holder: USER, runId: 'run_42' });
    expect((await h.call<AwakeStatus>('awake.status')).locks).toEqual([expect.objectContaining({ lockId, runId: 'run_42', holder: USER, reason: 'npm test' })]);
    expect(await h.bus.request<AwakeReleaseReply>(api.release, { lockId })).toEqual({ lockId, released: true });
    expect(await h.bus.request<AwakeReleaseReply>(api.release, { lockId })).toEqual({ lockId, released: false });
    expect(h.events.filter((e) => e.type === 'awake.released')).toEqual([{ type: 'awake.released', data: { lockId, cause: 'run_ended' } }]);
  });

  it('refuses a malformed internal request', async () => {
    const { h } = await start();
    await expect(h.bus.request(awakeSubjects(h.subjects).acquire, { reason: '' })).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('releases every lock with bridge_stopping when the bridge stops, and kills the inhibitor', async () => {
    const { h, runner } = await start();
    const lock = await h.call<AwakeLock>('awake.acquire', { body: { reason: 'x' } });
    await expect.poll(() => live(runner).length).toBe(1);
    await h.stop();
    harness = undefined;
    expect(h.events.filter((e) => e.type === 'awake.released')).toEqual([{ type: 'awake.released', data: { lockId: lock.lockId, cause: 'bridge_stopping' } }]);
    expect(live(runner)).toHaveLength(0);
  });
});
