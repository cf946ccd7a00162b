import { describe, expect, it } from 'vitest';
import { runStateOf } from '../../machines/commandRun.summary.js';
import { startRun } from './commandRun.fakes.js';

const statuses = (run: ReturnType<typeof startRun>) => run.jobEvents.map((e) => `${e.type}:${(e.data as { status: string }).status}`);

describe('command run machine: the queue', () => {
  it('waits in queued until the slot queue grants it, then starts', () => {
    const run = startRun({}, { slots: 'manual' });
    run.allowByRule();
    expect(run.state()).toBe('queued');
    expect(run.slot.requested).toBe(true);
    run.slot.sendBack!({ type: 'slot.waiting', position: 3 });
    expect(run.persisted.at(-1)).toMatchObject({ state: 'queued', status: 'queued' });
    expect(run.proc.input).toBeUndefined();
    run.slot.sendBack!({ type: 'slot.granted' });
    expect(run.state()).toBe('starting');
    expect(run.proc.input).toBeDefined();
  });

  it('passes through queued without storing it when a slot is free', () => {
    const run = startRun();
    run.allowByRule();
    expect(run.state()).toBe('starting');
    expect(run.persisted.map((r) => r.state)).not.toContain('queued');
  });

  it('ends rejected with rate_limited when the queue is full, never starting a process', () => {
    const run = startRun({}, { slots: 'manual' });
    run.allowByRule();
    run.slot.sendBack!({ type: 'slot.refused', message: 'full', at: run.at(2) });
    expect(run.state()).toBe('rejected');
    expect(run.persisted.at(-1)).toMatchObject({ state: 'rejected', errorCode: 'rate_limited', recoveryHint: null });
    expect(run.proc.input).toBeUndefined();
    expect(run.slot.released).toBe(true);
  });

  it('can be terminated while queued, giving its place back', () => {
    const run = startRun({}, { slots: 'manual' });
    run.allowByRule();
    run.slot.sendBack!({ type: 'slot.waiting', position: 1 });
    run.actor.send({ type: 'run.terminate', at: run.at(3) });
    expect(run.state()).toBe('terminated');
    expect(run.slot.released).toBe(true);
    expect(run.persisted.at(-1)).toMatchObject({ state: 'terminated', status: 'terminated', recoveryHint: null });
  });

  it('holds its slot until the run ends', () => {
    const run = startRun();
    run.allowByRule();
    run.spawn();
    expect(run.slot.released).toBe(false);
    run.exit();
    expect(run.slot.released).toBe(true);
  });
});

describe('command run machine: recovery hints', () => {
  it('says spawn_failure when a queued run is interrupted by a bridge stop: nothing ran', () => {
    const run = startRun({}, { slots: 'manual' });
    run.allowByRule();
    run.actor.send({ type: 'run.interrupt', at: run.at(3) });
    expect(run.persisted.at(-1)).toMatchObject({ state: 'interrupted', status: 'failed', recoveryHint: 'spawn_failure' });
  });

  it('says spawn_failure when a run waiting for permission is interrupted', () => {
    const run = startRun();
    run.actor.send({ type: 'run.interrupt', at: run.at(3) });
    expect(run.persisted.at(-1)).toMatchObject({ state: 'interrupted', recoveryHint: 'spawn_failure' });
  });

  it('says bridge_restart when a running run is interrupted', () => {
    const run = startRun();
    run.allowByRule();
    run.spawn();
    run.actor.send({ type: 'run.interrupt', at: run.at(3) });
    expect(run.persisted.at(-1)).toMatchObject({ state: 'interrupted', recoveryHint: 'bridge_restart' });
  });

  it('says timeout when the run was killed at its limit', () => {
    const run = startRun({ timeoutMs: 1_000 });
    run.allowByRule();
    run.spawn();
    run.clock.increment(1_000);
    run.exit({ exitCode: null, signal: 'SIGTERM' });
    expect(run.persisted.at(-1)).toMatchObject({ state: 'timed_out', status: 'failed', recoveryHint: 'timeout' });
  });

  it('says spawn_failure when the process could not start', () => {
    const run = startRun();
    run.allowByRule();
    run.exit({ exitCode: null, spawnError: 'ENOENT' });
    expect(run.persisted.at(-1)).toMatchObject({ state: 'failed', recoveryHint: 'spawn_failure' });
  });

  it('gives no hint to a run that failed on its own or completed', () => {
    for (const exitCode of [0, 3]) {
      const run = startRun();
      run.allowByRule();
      run.spawn();
      run.exit({ exitCode });
      expect(run.persisted.at(-1)?.recoveryHint).toBeNull();
    }
  });
});

describe('command run machine: job events', () => {
  it('announces the job once, then each change of its status, in order', () => {
    const run = startRun({ requestId: 'req-1', context: { source: 'skill', skillId: 's', taskId: null, runId: null } }, { slots: 'manual' });
    run.allowByRule();
    run.slot.sendBack!({ type: 'slot.waiting', position: 1 });
    run.slot.sendBack!({ type: 'slot.granted' });
    run.spawn();
    run.exit({ exitCode: 0 });
    expect(statuses(run)).toEqual(['bridge.job.created:queued', 'bridge.job.updated:running', 'bridge.job.updated:completed']);
    expect(run.jobEvents[0]!.data).toEqual({
      runId: 'run_1',
      requestId: 'req-1',
      kind: 'command',
      status: 'queued',
      summary: { command: 'echo __OSL_SECRET[greeting]__', toolId: null },
      recoveryHint: null,
      context: { source: 'skill', skillId: 's', taskId: null, runId: null },
      exitCode: null,
      errorCode: null,
    });
    expect(run.jobEvents.at(-1)!.data).toMatchObject({ status: 'completed', exitCode: 0 });
    expect(JSON.stringify(run.jobEvents)).not.toContain('s3cret-value');
  });

  it('announces a refused job as failed with its code', () => {
    const run = startRun();
    run.gate.sendBack!({ type: 'permission.rejected', code: 'rejected_by_user', promptId: 'p_1', decisionId: 'd_1', message: 'no', at: run.at(1) });
    expect(statuses(run)).toEqual(['bridge.job.created:queued', 'bridge.job.updated:failed']);
    expect(run.jobEvents.at(-1)!.data).toMatchObject({ errorCode: 'rejected_by_user' });
  });

  it('publishes no job events for an install step: the install is the job', () => {
    const run = startRun({ kind: 'install', whitelistAllowed: false });
    run.allowByRule();
    run.spawn();
    run.exit();
    expect(run.jobEvents).toEqual([]);
    expect(run.published.map((e) => e.type)).toEqual(['system.command.started', 'system.command.completed']);
  });

  it('maps its states onto the job status the web app follows', () => {
    const run = startRun({}, { slots: 'manual' });
    expect(runStateOf(run.state())).toBe('awaiting_permission');
    run.allowByRule();
    expect(runStateOf(run.state())).toBe('queued');
  });
});
