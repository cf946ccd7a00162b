import type { ActorSystem, AnyActorRef } from 'xstate';

type Scheduler = ActorSystem<never>['scheduler'];

/**
 * Makes an actor system's scheduler cancel a stopping actor's delayed events without walking
 * everyone's. xstate's `cancelAll`, called at every actor's stop, loops over every delayed event
 * of the whole system to find the stopping actor's: under the 200-session load that is each
 * session's expiry timer and each live run's timeout, for the four actors a run stops (its gate,
 * slot, process and itself), ~120 µs of the main thread per run. Here each source's event ids are
 * kept as they are scheduled, and `cancelAll` cancels just those through the scheduler's own
 * `cancel`. An id whose event already fired stays in its source's set (cancelling it again does
 * nothing) until the source stops or schedules it again: ids are per delayed transition, few per
 * actor.
 */
export function cancelDelayedEventsBySource(scheduler: Scheduler): void {
  const idsBySource = new WeakMap<AnyActorRef, Set<string>>();
  const { schedule, cancel } = scheduler;
  scheduler.schedule = (source, target, event, delay, id) => {
    // xstate names an event without an id itself, the same way: it must be known here to be cancelled.
    const known = id ?? Math.random().toString(36).slice(2);
    let ids = idsBySource.get(source);
    if (!ids) idsBySource.set(source, (ids = new Set()));
    ids.add(known);
    schedule(source, target, event, delay, known);
  };
  scheduler.cancel = (source, id) => {
    idsBySource.get(source)?.delete(id);
    cancel(source, id);
  };
  scheduler.cancelAll = (source) => {
    const ids = idsBySource.get(source);
    if (!ids) return;
    idsBySource.delete(source);
    for (const id of ids) cancel(source, id);
  };
}
