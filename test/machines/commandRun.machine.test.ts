import { describe, expect, it } from 'vitest';
import { MAX_TIMER_MS } from '../../machines/commandRun.machine.js';
import { runStateOf } from '../../machines/commandRun.summary.js';
import { startRun } from './commandRun.fakes.js';

function runningRun(overrides: Parameters<typeof startRun>[0] = {}) {
  const run = startRun(overrides);
  run.allowByRule();
  run.spawn();
  return run;
}

describe('command run machine: the process', () => {
  it('announces system.command.started with the pid once the process spawned', () => {
    const run = runningRun();
    expect(run.state()).toBe('running');
    expect(run.published).toEqual([
      { type: 'system.command.started', data: expect.objectContaining({ runId: 'run_1', state: 'running', pid: 4242, startedAt: run.at(2) }) },
    ]);
  });

  it('completes on exit code 0 with the output totals and timings', () => {
    const run = runningRun();
    run.exit({ exitCode: 0 });
    expect(run.state()).toBe('completed');
    expect(run.published.at(-1)).toEqual({
      type: 'system.command.completed',
      data: expect.objectContaining({ state: 'completed', exitCode: 0, stdoutBytes: 12, durationMs: 3000, endedAt: run.at(5) }),
    });
    expect(run.proc.stopped).toBe(true);
  });

  it('fails on a non-zero exit code, saying so', () => {
    const run = runningRun();
    run.exit({ exitCode: 3 });
    expect(run.state()).toBe('failed');
    expect(run.persisted.at(-1)).toMatchObject({ state: 'failed', exitCode: 3, errorMessage: 'Exited with code 3' });
  });

  it('fails when killed by a signal nobody of the bridge sent', () => {
    const run = runningRun();
    run.exit({ exitCode: null, signal: 'SIGSEGV' });
    expect(run.persisted.at(-1)).toMatchObject({ state: 'failed', signal: 'SIGSEGV', errorMessage: 'Killed by SIGSEGV' });
  });

  it('fails when the process cannot start, naming the template command only', () => {
    const run = startRun();
    run.allowByRule();
    run.exit({ exitCode: null, spawnError: 'ENOENT' });
    expect(run.state()).toBe('failed');
    expect(run.persisted.at(-1)).toMatchObject({ errorMessage: 'Could not start "echo": ENOENT', pid: null });
  });

  it('kills the process tree on terminate and ends terminated once it is gone', () => {
    const run = runningRun();
    run.actor.send({ type: 'run.terminate', at: run.at(3) });
    expect(run.state()).toBe('stopping');
    expect(runStateOf(run.state())).toBe('running');
    expect(run.proc.kills).toBe(1);
    run.actor.send({ type: 'run.terminate', at: run.at(3) });
    expect(run.proc.kills).toBe(1);
    run.exit({ exitCode: null, signal: 'SIGTERM' });
    expect(run.state()).toBe('terminated');
    expect(run.published.at(-1)).toMatchObject({ type: 'system.command.terminated', data: { state: 'terminated', signal: 'SIGTERM' } });
  });

  it('kills the process tree when the timeout elapses and ends timed_out', () => {
    const run = runningRun({ timeoutMs: 1_000 });
    run.clock.increment(999);
    expect(run.state()).toBe('running');
    run.clock.increment(1);
    expect(run.state()).toBe('stopping');
    expect(run.proc.kills).toBe(1);
    run.exit({ exitCode: null, signal: 'SIGKILL' });
    expect(run.state()).toBe('timed_out');
    expect(run.persisted.at(-1)).toMatchObject({ state: 'timed_out', errorMessage: 'Timed out after 1000 ms; the process tree was killed.' });
    expect(run.published.at(-1)?.type).toBe('system.command.failed');
  });

  it('honours timeouts longer than a timer can hold', () => {
    const run = runningRun({ timeoutMs: MAX_TIMER_MS + 5_000 });
    run.clock.increment(MAX_TIMER_MS);
    expect(run.state()).toBe('running');
    run.clock.increment(4_999);
    expect(run.state()).toBe('running');
    run.clock.increment(1);
    expect(run.state()).toBe('stopping');
  });

  it('ends interrupted when the bridge stops, stopping the process actor (which kills the tree)', () => {
    const run = runningRun();
    run.actor.send({ type: 'run.interrupt', at: run.at(9) });
    expect(run.state()).toBe('interrupted');
    expect(run.proc.stopped).toBe(true);
    expect(run.persisted.at(-1)).toMatchObject({ state: 'interrupted', endedAt: run.at(9) });
  });

  it('persists every state it passes through, as listed', () => {
    const run = runningRun();
    run.exit();
    expect(run.persisted.map((r) => r.state)).toEqual(['awaiting_permission', 'starting', 'running', 'completed']);
    expect(JSON.stringify(run.persisted)).not.toContain('s3cret-value');
  });
});

describe('command run machine: keepAwake', () => {
  it('holds an awake lock for exactly the run\'s life', () => {
    const run = runningRun({ keepAwake: true });
    expect(run.awake.input).toEqual({ runId: 'run_1', reason: 'Print a greeting', holder: { kind: 'session', sessionId: 'ses_1', origin: 'https://app.example' } });
    run.awake.sendBack!({ type: 'awake.held', lockId: 'lock_1', note: null });
    run.exit();
    expect(run.awake.stopped).toBe(true);
    expect(run.persisted.at(-1)?.awakeLock).toEqual({ lockId: 'lock_1', note: null });
  });

  it('records why no lock was held and runs anyway', () => {
    const run = runningRun({ keepAwake: true });
    run.awake.sendBack!({ type: 'awake.unavailable', note: 'no awake service answered' });
    run.exit();
    expect(run.state()).toBe('completed');
    expect(run.persisted.at(-1)?.awakeLock).toEqual({ lockId: null, note: 'no awake service answered' });
  });

  it('takes no lock without keepAwake', () => {
    const run = runningRun();
    expect(run.awake.started).toBe(false);
    expect(run.persisted.at(-1)?.awakeLock).toBeNull();
  });
});
