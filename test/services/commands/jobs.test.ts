import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolvePaths } from '../../../src/config/paths.js';
import type { Principal } from '../../../src/contract/principal.js';
import { openDatabase } from '../../../src/storage/database.js';
import { RunsRepository } from '../../../src/storage/runs-repository.js';
import { UI } from '../capability-harness.js';
import { eventually, executeBody, startCommandsHarness, USER, type CommandsHarness } from './harness.js';

const EXECUTE = 'system.commands.execute';
const LIST = 'system.commands.runs.list';
const GET = 'system.commands.runs.get';
const TERMINATE = 'system.commands.runs.terminate';
const RESOLVE = 'system.permissions.prompts.resolve';
const OTHER_ORIGIN: Principal = { kind: 'session', sessionId: 'ses_other', origin: 'http://127.0.0.1:2' };

type Accepted = { accepted: true; runId: string; promptId?: string; status: string; state: string; decision: { source: string }; held: boolean; heldLimitReached: boolean; duplicate: boolean };

describe('execute as a job', () => {
  let harness: CommandsHarness;
  afterEach(async () => {
    // The restart test stops its last harness itself.
    await harness?.stop().catch(() => {});
  });

  const held = (body: unknown, principal: Principal = USER) => harness.call<Accepted>(EXECUTE, { body, principal, prefer: { respondAsync: false } });
  /** The prompt that is waiting, found through the runs list the way the local UI sees it. */
  const waitingPrompts = async (count: number) =>
    eventually(async () => {
      const { runs } = await harness.call<{ runs: Array<{ promptId: string | null; state: string }> }>(LIST, { principal: UI, query: { state: 'awaiting_permission' } });
      const prompts = runs.map((r) => r.promptId).filter((id): id is string => id !== null);
      return prompts.length >= count ? prompts : undefined;
    });

  it('holds the request until the user allows it, then answers accepted with decision source user', async () => {
    harness = await startCommandsHarness();
    const reply = held(executeBody('tool'));
    const [promptId] = await waitingPrompts(1);
    await harness.call(RESOLVE, { params: { requestId: promptId }, body: { decision: 'allow_once' } });
    expect(await reply).toMatchObject({ accepted: true, status: expect.stringMatching(/^(queued|running)$/), decision: { source: 'user', promptId }, held: true, heldLimitReached: false, duplicate: false });
  });

  it('holds the request until the user rejects it, then refuses with rejected_by_user', async () => {
    harness = await startCommandsHarness();
    const reply = held(executeBody('tool')).catch((error: unknown) => error);
    const [promptId] = await waitingPrompts(1);
    await harness.call(RESOLVE, { params: { requestId: promptId }, body: { decision: 'reject' } });
    expect(await reply).toMatchObject({ code: 'rejected_by_user', details: { promptId } });
  });

  it('answers at once with decision pending under Prefer: respond-async', async () => {
    harness = await startCommandsHarness();
    const reply = await harness.call<Accepted>(EXECUTE, { body: executeBody('tool'), prefer: { respondAsync: true } });
    expect(reply).toMatchObject({ accepted: true, status: 'queued', state: 'awaiting_permission', decision: { source: 'pending' }, promptId: expect.any(String), held: false, heldLimitReached: false });
  });

  it('answers at once past the session\'s cap of held requests, and says so', async () => {
    harness = await startCommandsHarness({ config: { maxHeldRequestsPerSession: 2 } });
    const first = [held(executeBody('a')), held(executeBody('b'))];
    await waitingPrompts(2);
    const third = await held(executeBody('c'));
    expect(third).toMatchObject({ accepted: true, held: false, heldLimitReached: true, decision: { source: 'pending' } });
    // Another session has its own cap.
    const other = held(executeBody('d'), OTHER_ORIGIN);
    const prompts = await waitingPrompts(4);
    for (const promptId of prompts) await harness.call(RESOLVE, { principal: UI, params: { requestId: promptId }, body: { decision: 'allow_once' } });
    expect((await Promise.all([...first, other])).map((r) => r.held)).toEqual([true, true, true]);
  });

  it('returns the first job for a repeated requestId of the same origin, starting nothing new', async () => {
    harness = await startCommandsHarness();
    const first = await harness.call<Accepted>(EXECUTE, { body: executeBody('tool', [], { requestId: 'req-abc-123' }) });
    const again = await harness.call<Accepted>(EXECUTE, { body: executeBody('tool', [], { requestId: 'req-abc-123' }) });
    expect(again).toMatchObject({ runId: first.runId, duplicate: true });
    const other = await harness.call<Accepted>(EXECUTE, { body: executeBody('tool', [], { requestId: 'req-abc-123' }), principal: OTHER_ORIGIN });
    expect(other.runId).not.toBe(first.runId);
    const { runs } = await harness.call<{ runs: Array<{ runId: string; requestId: string }> }>(LIST, { query: { requestId: 'req-abc-123' } });
    expect(runs).toEqual([expect.objectContaining({ runId: first.runId, requestId: 'req-abc-123' })]);
  });

  it('remembers a requestId across a restart, in SQLite', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'osloop-jobs-'));
    try {
      const before = await startCommandsHarness({ home });
      const first = await before.call<Accepted>(EXECUTE, { body: executeBody('tool', [], { requestId: 'req-restart' }) });
      await before.stop();
      harness = await startCommandsHarness({ home });
      const again = await harness.call<Accepted>(EXECUTE, { body: executeBody('tool', [], { requestId: 'req-restart' }) });
      // It was waiting for permission when the bridge stopped: nothing ran.
      expect(again).toMatchObject({ runId: first.runId, duplicate: true, status: 'failed', state: 'interrupted', recoveryHint: 'spawn_failure' });
      expect(harness.runner.processes).toHaveLength(0);
      await harness.stop();
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('shows a session only its own origin\'s runs; the local UI sees all', async () => {
    harness = await startCommandsHarness();
    const mine = await harness.call<Accepted>(EXECUTE, { body: executeBody('mine') });
    const theirs = await harness.call<Accepted>(EXECUTE, { body: executeBody('theirs'), principal: OTHER_ORIGIN });
    const listed = async (principal: Principal) => (await harness.call<{ runs: Array<{ runId: string }> }>(LIST, { principal })).runs.map((r) => r.runId);
    expect(await listed(USER)).toEqual([mine.runId]);
    expect(await listed(OTHER_ORIGIN)).toEqual([theirs.runId]);
    expect(await listed(UI)).toEqual([theirs.runId, mine.runId]);
    await expect(harness.call(GET, { params: { runId: theirs.runId } })).rejects.toMatchObject({ code: 'not_found' });
    await expect(harness.call(TERMINATE, { params: { runId: theirs.runId } })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('stores the provenance with the run and passes it on in job events', async () => {
    harness = await startCommandsHarness();
    const context = { source: 'skill', skillId: 'skill-a', taskId: 'task-1' };
    const reply = await harness.call<Accepted>(EXECUTE, { body: executeBody('tool', [], { context, requestId: 'req-ctx' }) });
    const stored = { ...context, runId: null };
    expect(await harness.call(GET, { params: { runId: reply.runId } })).toMatchObject({ context: stored, requestId: 'req-ctx' });
    expect(harness.events.find((e) => e.type === 'bridge.job.created')?.data).toMatchObject({ runId: reply.runId, requestId: 'req-ctx', context: stored, kind: 'command' });
  });
});

describe('the job queue', () => {
  let harness: CommandsHarness;
  afterEach(async () => {
    await harness?.stop();
  });

  /** Executes `names` and allows each, as respond-async clients following events do. */
  async function allowed(names: string[]) {
    const runIds: string[] = [];
    for (const name of names) {
      const reply = await harness.call<Accepted>(EXECUTE, { body: executeBody(name) });
      await harness.call(RESOLVE, { params: { requestId: reply.promptId }, body: { decision: 'allow_once' } });
      runIds.push(reply.runId);
    }
    return runIds;
  }
  const stateOf = async (runId: string) => (await harness.call<{ state: string; status: string; recoveryHint: string | null }>(GET, { params: { runId } }));

  it('queues allowed jobs over maxConcurrentRuns and starts them in order as slots free', async () => {
    harness = await startCommandsHarness({ config: { maxConcurrentRuns: 2 } });
    const runIds = await allowed(['one', 'two', 'three', 'four']);
    await eventually(async () => (await stateOf(runIds[3]!)).state === 'queued');
    expect(harness.runner.processes.map((p) => p.spec.command)).toEqual(['one', 'two']);
    expect((await stateOf(runIds[2]!)).status).toBe('queued');
    harness.runner.processes[0]!.exit({ exitCode: 0 });
    await eventually(() => harness.runner.processes.length === 3);
    harness.runner.processes[1]!.exit({ exitCode: 0 });
    await eventually(() => harness.runner.processes.length === 4);
    expect(harness.runner.processes.map((p) => p.spec.command)).toEqual(['one', 'two', 'three', 'four']);
    const updates = harness.events.filter((e) => e.type === 'bridge.job.updated' && (e.data as { runId: string }).runId === runIds[2]).map((e) => (e.data as { status: string }).status);
    expect(updates).toEqual(['running']);
  });

  it('terminates a queued job, which never starts', async () => {
    harness = await startCommandsHarness({ config: { maxConcurrentRuns: 1 } });
    const [, queued] = await allowed(['busy', 'waiting']);
    await eventually(async () => (await stateOf(queued!)).state === 'queued');
    expect(await harness.call(TERMINATE, { params: { runId: queued } })).toEqual({ runId: queued, state: 'terminated' });
    harness.runner.processes[0]!.exit({ exitCode: 0 });
    await eventually(async () => (await harness.call<{ runs: Array<{ state: string }> }>(LIST, { query: { state: 'completed' } })).runs.length === 1);
    expect(harness.runner.processes.map((p) => p.spec.command)).toEqual(['busy']);
  });

  it('interrupts queued jobs when the bridge stops, with the hint spawn_failure, and starts none of them', async () => {
    harness = await startCommandsHarness({ config: { maxConcurrentRuns: 1 } });
    const [running, queued] = await allowed(['busy', 'waiting']);
    await eventually(async () => (await stateOf(queued!)).state === 'queued');
    harness.bus.publish(harness.subjects.event('bridge.stopping'), { bridgeId: 'test', reason: 'test' });
    await eventually(async () => (await stateOf(running!)).state === 'interrupted');
    expect(await stateOf(running!)).toMatchObject({ state: 'interrupted', status: 'failed', recoveryHint: 'bridge_restart' });
    expect(await stateOf(queued!)).toMatchObject({ state: 'interrupted', status: 'failed', recoveryHint: 'spawn_failure' });
    expect(harness.runner.processes.map((p) => p.spec.command)).toEqual(['busy']);
  });
});

describe('runs a crashed bridge left live', () => {
  it('come back interrupted with bridge_restart (or spawn_failure if they never started), announced as job updates', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'osloop-jobs-crash-'));
    try {
      // A bridge that died: its runs are still "running" and "queued" in SQLite.
      const first = await startCommandsHarness({ home });
      const running = await first.call<Accepted>(EXECUTE, { body: executeBody('tool', [], { requestId: 'req-live' }) });
      const db = openDatabase(resolvePaths({ OSLOOP_BRIDGE_HOME: home }).databaseFile);
      const runs = new RunsRepository(db);
      const stored = runs.get(running.runId)!;
      runs.save({ ...stored, state: 'running', status: 'running', pid: 1 });
      runs.save({ ...stored, runId: 'run_queued', state: 'queued', status: 'queued' });
      db.close();
      first.runtime.root.stop(); // no graceful stop: nothing is interrupted on the way out

      const harness = await startCommandsHarness({ home });
      try {
        const updates = harness.events.filter((e) => e.type === 'bridge.job.updated').map((e) => e.data as { runId: string; status: string; recoveryHint: string });
        expect(updates).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ runId: running.runId, status: 'failed', recoveryHint: 'bridge_restart' }),
            expect.objectContaining({ runId: 'run_queued', status: 'failed', recoveryHint: 'spawn_failure' }),
          ]),
        );
      } finally {
        await harness.stop();
      }
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
