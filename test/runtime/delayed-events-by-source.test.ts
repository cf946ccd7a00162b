import { describe, expect, it } from 'vitest';
import { createActor, createMachine, sendTo, SimulatedClock, type AnyActorRef } from 'xstate';
import { cancelDelayedEventsBySource } from '../../src/runtime/delayed-events-by-source.js';

/** A child that expires after `ms` on its own timer, and pings its parent after 5 ms without an id. */
const timedChild = createMachine({
  id: 'timed',
  initial: 'waiting',
  entry: sendTo(({ self }) => self, { type: 'ping' }, { delay: 5 }),
  states: { waiting: { after: { 50: 'expired' }, on: { ping: {} } }, expired: { type: 'final' } },
});

/** A parent of two timed children, a and b, that stops a on `stop.a`, with a scheduler that indexes by source. */
function parentWithTwoTimedChildren() {
  const clock = new SimulatedClock();
  const parent = createMachine({
    invoke: { id: 'b', src: timedChild },
    initial: 'both',
    states: { both: { invoke: { id: 'a', src: timedChild }, on: { 'stop.a': 'onlyB' } }, onlyB: {} },
  });
  const actor = createActor(parent, { clock });
  cancelDelayedEventsBySource(actor.system.scheduler);
  actor.start();
  const scheduled = () => Object.values(actor.system.getSnapshot()._scheduledEvents).map((e) => (e.source as AnyActorRef).id).sort();
  return { actor, clock, scheduled };
}

describe('delayed events cancelled by source', () => {
  it('cancels only the stopping actor\'s delayed events, with and without ids, and leaves the others to fire', () => {
    const { actor, clock, scheduled } = parentWithTwoTimedChildren();
    expect(scheduled()).toEqual(['a', 'a', 'b', 'b']);
    const a = actor.getSnapshot().children['a'] as AnyActorRef;
    const b = actor.getSnapshot().children['b'] as AnyActorRef;
    actor.send({ type: 'stop.a' });
    expect(a.getSnapshot().status).toBe('stopped');
    expect(scheduled()).toEqual(['b', 'b']);
    clock.increment(50);
    expect(b.getSnapshot().status).toBe('done');
    expect(a.getSnapshot().value).toBe('waiting');
    expect(scheduled()).toEqual([]);
  });

  it('cancels nothing of a source that never scheduled, and survives a second stop', () => {
    const { actor, scheduled } = parentWithTwoTimedChildren();
    actor.system.scheduler.cancelAll(actor);
    expect(scheduled()).toHaveLength(4);
    actor.stop();
    expect(scheduled()).toEqual([]);
  });
});
