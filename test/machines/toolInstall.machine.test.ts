import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, fromPromise, waitFor, type EventObject } from 'xstate';
import type { PublishParams } from '../../machines/contract-event.js';
import {
  toolInstallMachine,
  type InstallPermissionInput,
  type InstallStepInput,
  type PermissionEvent,
  type StepEvent,
  type ToolInstallInput,
} from '../../machines/toolInstall.machine.js';
import type { ToolStatus } from '../../src/contract/routes/system.js';

const steps = [
  { command: 'apt-get', args: ['update'] },
  { command: 'apt-get', args: ['install', '-y', 'jq'] },
];
const located: ToolStatus = { name: 'jq', installed: true, path: '/usr/bin/jq', version: '1.7' };
const context = { source: 'skill', skillId: 'setup-jq', taskId: 'task-1', runId: null };

/** Actors the test drives: each start is recorded with a way to report for it. */
function driven<I>() {
  const started: Array<{ input: I; send: (event: EventObject) => void }> = [];
  const actor = fromCallback<EventObject, I>(({ input, sendBack }) => {
    started.push({ input, send: (event) => sendBack(event) });
  });
  return { started, actor };
}

const ended = (index: number, overrides: Partial<Extract<StepEvent, { type: 'step.ended' }>> = {}): StepEvent => ({
  type: 'step.ended',
  index,
  runId: `run_${index}`,
  state: 'completed',
  errorCode: null,
  message: null,
  exitCode: 0,
  signal: null,
  durationMs: 1_000,
  recoveryHint: null,
  ...overrides,
});
const started = (index: number): StepEvent => ({ type: 'step.started', index, runId: `run_${index}`, at: `2026-01-01T00:00:0${index}.000Z` });
const allowed: PermissionEvent = { type: 'permission.allowed', promptId: 'prm_1', decisionId: 'dec_1' };

function startInstall(overrides: Partial<ToolInstallInput> = {}) {
  const published: PublishParams[] = [];
  let refreshed = 0;
  let revoked = 0;
  const permission = driven<InstallPermissionInput>();
  const step = driven<InstallStepInput>();
  const actor = createActor(
    toolInstallMachine.provide({
      actors: { askPermission: permission.actor, installStep: step.actor, locateTool: fromPromise(async () => located) },
      actions: {
        publish: (_, params: PublishParams) => void published.push(params),
        refreshInventory: () => void refreshed++,
        revokeGrants: () => void revoked++,
      },
    }),
    {
      input: {
        installId: 'inst_1',
        tool: 'jq',
        title: 'jq',
        binary: 'jq',
        variantId: 'apt',
        packageManager: 'apt',
        requiresElevation: true,
        steps,
        timeoutMs: 300_000,
        reason: 'the agent parses JSON',
        requestedBy: { kind: 'ui' },
        requestId: 'req-1',
        context,
        ...overrides,
      },
    },
  ).start();
  const ask = (event: PermissionEvent) => permission.started[0]!.send(event);
  return { actor, published, permission: permission.started, steps: step.started, ask, refreshed: () => refreshed, revoked: () => revoked };
}

const types = (published: PublishParams[]) => published.map((p) => p.type);
const jobs = (published: PublishParams[]) =>
  published.filter((p) => p.type.startsWith('bridge.job.')).map((p) => [p.type, (p.data as { status: string }).status]);

describe('tool install machine', () => {
  it('asks once, with every step, and starts no step before the user allows it', () => {
    const { actor, permission, steps: stepActors, ask } = startInstall();
    expect(permission).toHaveLength(1);
    expect(permission[0]!.input).toMatchObject({ installId: 'inst_1', steps, reason: 'the agent parses JSON', context });
    ask({ type: 'permission.pending', promptId: 'prm_1' });
    expect(actor.getSnapshot().context.promptId).toBe('prm_1');
    expect(stepActors).toHaveLength(0);
    ask(allowed);
    expect(stepActors.map((s) => s.input.index)).toEqual([0]);
  });

  it('runs every step under the one approval, announces the start once, then the located tool, and refreshes the inventory', async () => {
    const { actor, published, steps: stepActors, ask, refreshed, revoked } = startInstall();
    ask({ type: 'permission.pending', promptId: 'prm_1' });
    ask(allowed);
    stepActors[0]!.send(started(0));
    stepActors[0]!.send(ended(0));
    expect(stepActors.map((s) => [s.input.index, s.input.step, s.input.decisionId, s.input.promptId])).toEqual([
      [0, steps[0], 'dec_1', 'prm_1'],
      [1, steps[1], 'dec_1', 'prm_1'],
    ]);
    // What the first step used is gone from the second's budget.
    expect(stepActors[1]!.input.timeoutMs).toBe(299_000);
    stepActors[1]!.send(started(1));
    stepActors[1]!.send(ended(1, { durationMs: 2_000 }));

    await waitFor(actor, (s) => s.status === 'done');
    expect(actor.getSnapshot().value).toBe('completed');
    expect(actor.getSnapshot().context.runIds).toEqual(['run_0', 'run_1']);
    expect(types(published)).toEqual(['bridge.job.created', 'system.tool.install_started', 'bridge.job.updated', 'system.tool.install_completed', 'bridge.job.updated']);
    expect(jobs(published)).toEqual([
      ['bridge.job.created', 'queued'],
      ['bridge.job.updated', 'running'],
      ['bridge.job.updated', 'completed'],
    ]);
    expect(published[0]!.data).toEqual({
      runId: 'inst_1',
      requestId: 'req-1',
      kind: 'install',
      status: 'queued',
      summary: { command: 'apt-get', toolId: 'jq' },
      recoveryHint: null,
      context,
      exitCode: null,
      errorCode: null,
    });
    expect(published[3]).toEqual({ type: 'system.tool.install_completed', data: { installId: 'inst_1', durationMs: 3_000, tool: located } });
    expect(refreshed()).toBe(1);
    expect(revoked()).toBe(1);
  });

  it('fails with the step, state and exit code of the step that failed', () => {
    const { actor, published, steps: stepActors, ask, refreshed, revoked } = startInstall();
    ask(allowed);
    stepActors[0]!.send(started(0));
    stepActors[0]!.send(ended(0));
    stepActors[1]!.send(ended(1, { state: 'failed', exitCode: 100, message: 'Exited with code 100' }));
    expect(actor.getSnapshot().value).toBe('failed');
    expect(published.find((p) => p.type === 'system.tool.install_failed')).toEqual({
      type: 'system.tool.install_failed',
      data: { installId: 'inst_1', tool: 'jq', state: 'failed', errorCode: null, message: 'Exited with code 100', step: 1, exitCode: 100, signal: null },
    });
    expect(published.at(-1)).toMatchObject({ type: 'bridge.job.updated', data: { status: 'failed', exitCode: 100, recoveryHint: null } });
    expect(types(published)).not.toContain('system.tool.install_completed');
    expect(refreshed()).toBe(1);
    expect(revoked()).toBe(1);
  });

  it('ends rejected, no step started, when the user rejects the prompt', () => {
    const { actor, published, steps: stepActors, ask } = startInstall();
    ask({ type: 'permission.pending', promptId: 'prm_1' });
    ask({ type: 'permission.rejected', code: 'rejected_by_user', promptId: 'prm_1', decisionId: 'dec_1', message: 'The user rejected the install.' });
    expect(actor.getSnapshot().value).toBe('failed');
    expect(stepActors).toHaveLength(0);
    expect(types(published)).toEqual(['bridge.job.created', 'system.tool.install_failed', 'bridge.job.updated']);
    expect(published[1]).toMatchObject({ data: { state: 'rejected', errorCode: 'rejected_by_user', step: null } });
    expect(published[2]).toMatchObject({ data: { status: 'failed', errorCode: 'rejected_by_user', recoveryHint: null } });
  });

  it('ends failed as unavailable when there is no authority to ask', () => {
    const { actor, ask } = startInstall();
    ask({ type: 'permission.failed', message: 'No permission authority is running.' });
    expect(actor.getSnapshot().context.failure).toMatchObject({ state: 'failed', errorCode: 'unavailable' });
  });

  it.each([
    ['a step killed at its time limit', 1, { state: 'timed_out' as const, recoveryHint: 'timeout' as const }, 'timeout'],
    ['a step live when the bridge stopped', 1, { state: 'interrupted' as const, recoveryHint: 'bridge_restart' as const }, 'bridge_restart'],
    ['a first step that never spawned', 0, { state: 'failed' as const, recoveryHint: 'spawn_failure' as const }, 'spawn_failure'],
    // Earlier steps ran: "nothing ran" would be false for the install.
    ['a later step that never spawned', 1, { state: 'failed' as const, recoveryHint: 'spawn_failure' as const }, null],
  ])('gives the install job the recovery hint of %s', (_, failingStep, overrides, hint) => {
    const { published, steps: stepActors, ask } = startInstall();
    ask(allowed);
    if (failingStep === 1) {
      stepActors[0]!.send(started(0));
      stepActors[0]!.send(ended(0));
    }
    stepActors[failingStep]!.send(ended(failingStep, { exitCode: null, ...overrides }));
    expect(published.at(-1)).toMatchObject({ type: 'bridge.job.updated', data: { status: 'failed', recoveryHint: hint } });
  });

  it('ignores late reports of an earlier step', () => {
    const { actor, steps: stepActors, ask } = startInstall();
    ask(allowed);
    stepActors[0]!.send(ended(0));
    stepActors[0]!.send(ended(0, { state: 'failed', exitCode: 1 }));
    expect(actor.getSnapshot().matches('running')).toBe(true);
    expect(actor.getSnapshot().context.step).toBe(1);
  });
});

describe('terminating an install', () => {
  it('before the user answered: ends terminated, withdraws the prompt, runs nothing', () => {
    const { actor, published, steps: stepActors, ask } = startInstall();
    ask({ type: 'permission.pending', promptId: 'prm_1' });
    actor.send({ type: 'install.terminate' });
    expect(actor.getSnapshot().value).toBe('failed');
    expect(actor.getSnapshot().context.failure).toMatchObject({ state: 'terminated', recoveryHint: null });
    expect(stepActors).toHaveLength(0);
    expect(published.at(-1)).toMatchObject({ type: 'bridge.job.updated', data: { status: 'terminated' } });
  });

  it('once a step runs: is left to the step\'s own run (terminated through the runs route)', () => {
    const { actor, published, steps: stepActors, ask } = startInstall();
    ask(allowed);
    actor.send({ type: 'install.terminate' });
    expect(actor.getSnapshot().matches('running')).toBe(true);
    stepActors[0]!.send(ended(0, { state: 'terminated', exitCode: null, signal: 'SIGTERM' }));
    expect(published.at(-1)).toMatchObject({ type: 'bridge.job.updated', data: { status: 'terminated' } });
  });
});
