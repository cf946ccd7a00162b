import { afterEach, describe, expect, it } from 'vitest';
import { awakeSubjects, type AwakeAcquireRequest, type AwakeReleaseRequest } from '../../../src/services/awake/awake-api.js';
import { eventually, executeBody, startCommandsHarness, USER, type CommandsHarness } from './harness.js';

describe('a run with keepAwake', () => {
  let harness: CommandsHarness;
  afterEach(async () => {
    await harness?.stop();
  });

  async function runToCompletion(extra: Record<string, unknown>) {
    const reply = await harness.call<{ runId: string; promptId: string }>('system.commands.execute', { body: executeBody('build', [], { title: 'Run build', ...extra }) });
    await harness.call('system.permissions.prompts.resolve', { params: { requestId: reply.promptId }, body: { decision: 'allow_once' } });
    return { runId: reply.runId, process: await eventually(() => harness.runner.processes[0]) };
  }

  it('holds an awake lock from the awake service for exactly its lifetime', async () => {
    harness = await startCommandsHarness();
    const api = awakeSubjects(harness.subjects);
    const acquired: AwakeAcquireRequest[] = [];
    const released: AwakeReleaseRequest[] = [];
    harness.bus.serve(api.acquire, (data) => {
      acquired.push(data as AwakeAcquireRequest);
      return { lockId: 'lock_1', supported: true };
    });
    harness.bus.serve(api.release, (data) => {
      released.push(data as AwakeReleaseRequest);
      return { lockId: 'lock_1', released: true };
    });

    const { runId, process } = await runToCompletion({ keepAwake: true });
    expect(acquired).toEqual([{ reason: 'Run build', holder: USER, runId }]);
    await eventually(async () => (await harness.call<{ awakeLock: { lockId: string | null } }>('system.commands.runs.get', { params: { runId } })).awakeLock.lockId);
    expect(released).toEqual([]);
    process.exit({ exitCode: 0 });
    const run = await harness.call('system.commands.runs.get', { params: { runId }, query: { waitMs: 5_000 } });
    expect(run).toMatchObject({ state: 'completed', awakeLock: { lockId: 'lock_1', note: null } });
    await eventually(() => released.length > 0);
    expect(released).toEqual([{ lockId: 'lock_1', cause: 'run_ended' }]);
  });

  it('runs anyway when no awake service answers, and records that no lock was held', async () => {
    harness = await startCommandsHarness();
    const { runId, process } = await runToCompletion({ keepAwake: true });
    await eventually(async () => (await harness.call<{ awakeLock: { note: string | null } }>('system.commands.runs.get', { params: { runId } })).awakeLock.note);
    process.exit({ exitCode: 0 });
    const run = await harness.call('system.commands.runs.get', { params: { runId }, query: { waitMs: 5_000 } });
    expect(run).toMatchObject({ state: 'completed', awakeLock: { lockId: null, note: expect.stringContaining('No awake service answered') } });
  });
});
