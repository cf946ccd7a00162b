import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, fromPromise, SimulatedClock, waitFor, type EventObject } from 'xstate';
import type { PublishParams } from '../../machines/contract-event.js';
import { awakeState, inhibitorMachine, type InhibitorEvent, type InhibitorProcessInput, type InhibitorSupport } from '../../machines/inhibitor.machine.js';

const backoff = { initialDelayMs: 500, maxDelayMs: 4_000, maxAttempts: 4, stableMs: 10_000 };

/** A process actor the test drives: each start is recorded, each stop too. */
function fakeProcesses() {
  const started: Array<{ why: string; send: (event: InhibitorEvent) => void; stopped: boolean }> = [];
  const actor = fromCallback<EventObject, InhibitorProcessInput>(({ input, sendBack }) => {
    const entry = { why: input.why, send: (event: InhibitorEvent) => sendBack(event), stopped: false };
    started.push(entry);
    return () => {
      entry.stopped = true;
    };
  });
  return { started, actor };
}

async function startInhibitor(support: InhibitorSupport = { supported: true }) {
  const clock = new SimulatedClock();
  const published: PublishParams[] = [];
  const processes = fakeProcesses();
  const actor = createActor(
    inhibitorMachine.provide({
      actors: { probe: fromPromise(async () => support), inhibitorProcess: processes.actor },
      actions: { publish: (_, params: PublishParams) => void published.push(params) },
    }),
    { clock, input: { name: 'test-inhibitor', backoff } },
  ).start();
  await waitFor(actor, (snapshot) => !snapshot.matches('probing'));
  return { actor, clock, published, processes };
}

const lastState = (published: PublishParams[]) => published.filter((p) => p.type === 'awake.state_changed').at(-1)?.data;

describe('inhibitor machine', () => {
  it('reports unsupported with the probe\'s reason and never starts a process', async () => {
    const { actor, published, processes } = await startInhibitor({ supported: false, reason: 'Failed to connect to bus' });
    actor.send({ type: 'locks.changed', reasons: ['build'] });
    expect(actor.getSnapshot().value).toBe('unsupported');
    expect(processes.started).toHaveLength(0);
    expect(lastState(published)).toMatchObject({ supported: false, reason: 'Failed to connect to bus', active: false });
  });

  it('runs one process while locks are held, with their reasons, and stops it when the last goes', async () => {
    const { actor, published, processes } = await startInhibitor();
    expect(actor.getSnapshot().value).toBe('idle');
    actor.send({ type: 'locks.changed', reasons: ['build', 'tests'] });
    expect(processes.started.map((p) => p.why)).toEqual(['build; tests']);
    processes.started[0]!.send({ type: 'inhibitor.started', pid: 4242 });
    expect(lastState(published)).toEqual({ supported: true, active: true, inhibitor: { state: 'running', pid: 4242, restarts: 0, command: 'test-inhibitor' } });

    actor.send({ type: 'locks.changed', reasons: ['tests'] });
    expect(processes.started).toHaveLength(1);
    actor.send({ type: 'locks.changed', reasons: [] });
    expect(processes.started[0]!.stopped).toBe(true);
    expect(actor.getSnapshot().value).toBe('idle');
    expect(lastState(published)).toMatchObject({ active: false, inhibitor: { state: 'idle' } });
  });

  it('starts at once when locks arrived while it was still probing', async () => {
    const clock = new SimulatedClock();
    const processes = fakeProcesses();
    let answer!: (support: InhibitorSupport) => void;
    const actor = createActor(
      inhibitorMachine.provide({ actors: { probe: fromPromise(() => new Promise<InhibitorSupport>((resolve) => (answer = resolve))), inhibitorProcess: processes.actor } }),
      { clock, input: { name: 'test-inhibitor', backoff } },
    ).start();
    actor.send({ type: 'locks.changed', reasons: ['early'] });
    answer({ supported: true });
    await waitFor(actor, (snapshot) => !snapshot.matches('probing'));
    expect(actor.getSnapshot().value).toBe('running');
    expect(processes.started.map((p) => p.why)).toEqual(['early']);
  });

  it('restarts a dead inhibitor after a doubling delay', async () => {
    const { actor, clock, processes, published } = await startInhibitor();
    actor.send({ type: 'locks.changed', reasons: ['build'] });
    const delays: number[] = [];
    for (let death = 1; death <= 3; death++) {
      processes.started.at(-1)!.send({ type: 'inhibitor.exited', detail: 'killed by SIGKILL' });
      expect(actor.getSnapshot().value).toBe('restarting');
      expect(lastState(published)).toMatchObject({ reason: 'the inhibitor test-inhibitor exited: killed by SIGKILL', inhibitor: { state: 'restarting' } });
      let waited = 0;
      while (actor.getSnapshot().value === 'restarting') {
        clock.increment(100);
        waited += 100;
      }
      delays.push(waited);
    }
    expect(delays).toEqual([500, 1_000, 2_000]);
    expect(processes.started).toHaveLength(4);
    expect(actor.getSnapshot().context.restarts).toBe(3);
  });

  it('gives up after maxAttempts deaths in a row, and tries again once the locks go and come back', async () => {
    const { actor, clock, processes } = await startInhibitor();
    actor.send({ type: 'locks.changed', reasons: ['build'] });
    for (let death = 1; death < backoff.maxAttempts; death++) {
      processes.started.at(-1)!.send({ type: 'inhibitor.exited', detail: 'exit code 1' });
      clock.increment(backoff.maxDelayMs);
    }
    processes.started.at(-1)!.send({ type: 'inhibitor.exited', detail: 'exit code 1' });
    expect(actor.getSnapshot().value).toBe('failed');
    clock.increment(60_000);
    expect(processes.started).toHaveLength(backoff.maxAttempts);

    actor.send({ type: 'locks.changed', reasons: [] });
    actor.send({ type: 'locks.changed', reasons: ['again'] });
    expect(actor.getSnapshot().value).toBe('running');
    expect(processes.started).toHaveLength(backoff.maxAttempts + 1);
  });

  it('forgets earlier deaths once a process stayed up long enough', async () => {
    const { actor, clock, processes } = await startInhibitor();
    actor.send({ type: 'locks.changed', reasons: ['build'] });
    processes.started.at(-1)!.send({ type: 'inhibitor.exited', detail: 'exit code 1' });
    clock.increment(500);
    expect(actor.getSnapshot().context.attempt).toBe(1);
    clock.increment(backoff.stableMs);
    expect(actor.getSnapshot().context.attempt).toBe(0);
    processes.started.at(-1)!.send({ type: 'inhibitor.exited', detail: 'exit code 1' });
    clock.increment(499);
    expect(actor.getSnapshot().value).toBe('restarting');
    clock.increment(1);
    expect(actor.getSnapshot().value).toBe('running');
  });

  it('shows a process that has no pid yet as starting', () => {
    const view = awakeState({ supported: true, reason: null, pid: null, restarts: 0, name: 'x' }, 'running');
    expect(view).toEqual({ supported: true, active: false, inhibitor: { state: 'starting', restarts: 0, command: 'x' } });
  });
});
