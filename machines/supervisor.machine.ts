import { assign, setup, stopChild } from 'xstate';
import { childMachines, type ChildKind } from './child-machines.js';

export interface SupervisorContext {
  kind: ChildKind;
}

export type SupervisorEvent = { type: 'child.spawn'; id: string; input: unknown } | { type: 'child.stop'; id: string };

/** The id of the supervisor of `kind` among the root's children. */
export const supervisorIdOf = (kind: ChildKind) => `supervisor.${kind}`;

/**
 * The parent of every actor of one kind; the root has one per kind and no other children but its
 * listener's. Why a level of its own: xstate copies a parent's whole `children` map at each spawn
 * and each stop (`{ ...children }` in resolveSpawn and resolveStop), so with the root as the
 * parent of every actor each command run's start and end cost in proportion to all live actors
 * (200 sessions and ~150 runs under the 200-session load, ~7 % of the bridge's samples); under a
 * supervisor per kind it is in proportion to that kind's alone, and the root does not transition
 * at all when a child comes or goes.
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
