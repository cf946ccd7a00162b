import { assign, setup, stopChild } from 'xstate';
import { childMachines, type ChildKind } from './child-machines.js';

export interface SupervisorContext {
  kind: ChildKind;
}

export type SupervisorEvent = { type: 'child.spawn'; id: string; input: unknown } | { type: 'child.stop'; id: string };

/**
 * Supervisors per kind: a child's is picked by its id's hash. A parent's copy of its children map
 * costs up to ~1 us per child (V8 builds it a property at a time): an actor's spawn and end cost
 * 0.07 ms of CPU with no siblings, 1.4 ms among 1,000 of its kind under one supervisor, 0.12 ms
 * under 16 (0.08 among 150, as runs are under the load; 0.37 with the root as every parent).
 */
export const SUPERVISOR_SHARDS = 16;

/** The id of one of the supervisors of `kind` among the root's children. */
export const supervisorIdOf = (kind: ChildKind, shard: number) => `supervisor.${kind}.${shard}`;

/** The id of the supervisor that is (or would be) the parent of the `kind` child `id`. */
export const supervisorIdFor = (kind: ChildKind, id: string) => supervisorIdOf(kind, shardOf(id));

/** FNV-1a of the id, into [0, SUPERVISOR_SHARDS): cheap, and even enough over random ids. */
function shardOf(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % SUPERVISOR_SHARDS;
}

/**
 * The parent of a share of the actors of one kind; the root has SUPERVISOR_SHARDS per kind and no
 * other children but its listener's. Why a level of its own: xstate copies a parent's whole
 * `children` map at each spawn and each stop (`{ ...children }` in resolveAssign and
 * resolveStop), so with the root as the parent of every actor each command run's start and end
 * cost in proportion to all live actors (200 sessions and ~150 runs under the 200-session load,
 * ~7 % of the bridge's samples); under these it is in proportion to a sixteenth of that kind's,
 * and the root does not transition at all when a child comes or goes.
 */
export const supervisorMachine = setup({
  types: {} as { context: SupervisorContext; input: SupervisorContext; events: SupervisorEvent },
  actors: childMachines,
}).createMachine({
  id: 'supervisor',
  context: ({ input }) => ({ kind: input.kind }),
  on: {
    'child.spawn': {
      actions: assign(({ spawn, context, event }) => {
        spawn(context.kind, { id: event.id, input: event.input as never });
        return {};
      }),
    },
    'child.stop': { actions: stopChild(({ event }) => event.id) },
    // A child that reached a final state has nothing left to do: drop it.
    'xstate.done.actor.*': { actions: stopChild(({ event }) => event.type.slice('xstate.done.actor.'.length)) },
  },
});
