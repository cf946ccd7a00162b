import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, fromPromise, waitFor, type EventObject } from 'xstate';
import type { PublishParams } from '../../machines/contract-event.js';
import { toolInstallMachine, type InstallStepInput, type StepEvent, type ToolInstallInput } from '../../machines/toolInstall.machine.js';
import type { ToolStatus } from '../../src/contract/routes/system.js';

const steps = [
  { command: 'apt-get', args: ['update'] },
  { command: 'apt-get', args: ['install', '-y', 'jq'] },
];
const located: ToolStatus = { name: 'jq', installed: true, path: '/usr/bin/jq', version: '1.7' };

/** Step actors the test drives: each start is recorded with a way to report for it. */
function fakeSteps() {
  const started: Array<{ input: InstallStepInput; send: (event: StepEvent) => void }> = [];
  const actor = fromCallback<EventObject, InstallStepInput>(({ input, sendBack }) => {
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
  ...overrides,
});

function startInstall(overrides: Partial<ToolInstallInput> = {}) {
  const published: PublishParams[] = [];
  let refreshed = 0;
  const fake = fakeSteps();
  const actor = createActor(
    toolInstallMachine.provide({
      actors: { installStep: fake.actor, locateTool: fromPromise(async () => located) },
      actions: { publish: (_, params: PublishParams) => void published.push(params), refreshInventory: () => void refreshed++ },
    }),
    {
      input: {
        installId: 'inst_1',
        tool: 'jq',
        binary: 'jq',
        variantId: 'apt',
        packageManager: 'apt',
        requiresElevation: true,
        steps,
        timeoutMs: 300_000,
        reason: 'the agent parses JSON',
        requestedBy: { kind: 'ui' },
        ...overrides,
      },
    },
  ).start();
  return { actor, published, steps: fake.started, refreshed: () => refreshed };
}

const types = (published: PublishParams[]) => published.map((p) => p.type);

describe('tool install machine', () => {
  it('runs the steps in order, announces the start once, then the located tool, and refreshes the inventory', async () => {
    const { actor, published, steps: started, refreshed } = startInstall();
    expect(started.map((s) => s.input.step)).toEqual([steps[0]]);
    started[0]!.send({ type: 'step.prompted', index: 0, runId: 'run_0', promptId: 'prm_0' });
    expect(actor.getSnapshot().context.promptId).toBe('prm_0');
    started[0]!.send({ type: 'step.started', index: 0, runId: 'run_0', at: '2026-01-01T00:00:00.000Z' });
    started[0]!.send(ended(0));
    expect(started.map((s) => [s.input.index, s.input.step])).toEqual([[0, steps[0]], [1, steps[1]]]);
    // What the first step used is gone from the second's budget.
    expect(started[1]!.input.timeoutMs).toBe(299_000);
    started[1]!.send({ type: 'step.started', index: 1, runId: 'run_1', at: '2026-01-01T00:00:01.000Z' });
    started[1]!.send(ended(1, { durationMs: 2_000 }));

    await waitFor(actor, (s) => s.status === 'done');
    expect(actor.getSnapshot().value).toBe('completed');
    expect(actor.getSnapshot().context.runIds).toEqual(['run_0', 'run_1']);
    expect(types(published)).toEqual(['system.tool.install_started', 'system.tool.install_completed']);
    expect(published[1]).toEqual({ type: 'system.tool.install_completed', data: { installId: 'inst_1', durationMs: 3_000, tool: located } });
    expect(refreshed()).toBe(1);
  });

  it('fails with the step, state and exit code of the step that failed', () => {
    const { actor, published, steps: started, refreshed } = startInstall();
    started[0]!.send({ type: 'step.started', index: 0, runId: 'run_0', at: '2026-01-01T00:00:00.000Z' });
    started[0]!.send(ended(0));
    started[1]!.send(ended(1, { state: 'failed', exitCode: 100, message: 'Exited with code 100' }));
    expect(actor.getSnapshot().value).toBe('failed');
    expect(published.at(-1)).toEqual({
      type: 'system.tool.install_failed',
      data: { installId: 'inst_1', tool: 'jq', state: 'failed', errorCode: null, message: 'Exited with code 100', step: 1, exitCode: 100, signal: null },
    });
    expect(types(published)).not.toContain('system.tool.install_completed');
    expect(refreshed()).toBe(1);
  });

  it('ends rejected, never started, when the user rejects the first prompt', () => {
    const { actor, published, steps: started } = startInstall();
    started[0]!.send({ type: 'step.prompted', index: 0, runId: 'run_0', promptId: 'prm_0' });
    started[0]!.send(ended(0, { state: 'rejected', errorCode: 'rejected_by_user', exitCode: null, message: 'The user rejected the command.' }));
    expect(actor.getSnapshot().value).toBe('failed');
    expect(types(published)).toEqual(['system.tool.install_failed']);
    expect(published[0]).toMatchObject({ data: { state: 'rejected', errorCode: 'rejected_by_user', step: 0 } });
  });

  it('reports a step that could not even be asked for as failed, with no step', () => {
    const { published, steps: started } = startInstall();
    started[0]!.send(ended(0, { runId: null, state: 'rejected', errorCode: 'bridge_policy_denied', exitCode: null, message: 'denied' }));
    expect(published[0]).toMatchObject({ data: { state: 'rejected', errorCode: 'bridge_policy_denied', step: null } });
  });

  it('ignores late reports of an earlier step', () => {
    const { actor, steps: started } = startInstall();
    started[0]!.send(ended(0));
    started[0]!.send(ended(0, { state: 'failed', exitCode: 1 }));
    expect(actor.getSnapshot().matches('running')).toBe(true);
    expect(actor.getSnapshot().context.step).toBe(1);
  });
});
