import { assign, setup } from 'xstate';
import type { EventData } from '../src/contract/events.js';
import type { Principal } from '../src/contract/principal.js';
import type { AwakeLock } from '../src/contract/routes/awake.js';
import { publishPlaceholder } from './contract-event.js';

export type ReleaseCause = EventData<'awake.released'>['cause'];

export interface AwakeLockInput {
  lockId: string;
  reason: string;
  holder: Principal;
  /** Set for the lock a `keepAwake` command run holds for its lifetime. */
  runId: string | null;
  /** Null: held until released. */
  ttlMs: number | null;
  acquiredAt: string;
  expiresAt: string | null;
}

export interface AwakeLockContext extends AwakeLockInput {
  cause: ReleaseCause | null;
}

export type AwakeLockEvent = { type: 'lock.release'; cause: ReleaseCause };

/** The lock as the contract lists it. */
export function lockView(context: AwakeLockInput): AwakeLock {
  return {
    lockId: context.lockId,
    reason: context.reason,
    holder: context.holder,
    acquiredAt: context.acquiredAt,
    expiresAt: context.expiresAt,
    ...(context.runId ? { runId: context.runId } : {}),
  };
}

/**
 * One reason the machine must not sleep. It lives until released (by its holder, by its run
 * ending, by the bridge stopping) or until its TTL elapses on its own timer; either way it
 * announces `awake.released` with the cause and stops.
 */
export const awakeLockMachine = setup({
  types: {} as { context: AwakeLockContext; input: AwakeLockInput; events: AwakeLockEvent },
  actions: { publish: publishPlaceholder },
  guards: { hasTtl: ({ context }) => context.ttlMs !== null },
  delays: { ttl: ({ context }) => context.ttlMs ?? 0 },
}).createMachine({
  id: 'awakeLock',
  context: ({ input }) => ({ ...input, cause: null }),
  initial: 'held',
  states: {
    held: {
      entry: { type: 'publish', params: ({ context }) => ({ type: 'awake.acquired', data: lockView(context) }) },
      on: { 'lock.release': { target: 'released', actions: assign({ cause: ({ event }) => event.cause }) } },
      initial: 'choosing',
      states: {
        // A lock without TTL must not arm a timer at all: a zero or infinite delay would fire.
        choosing: { always: [{ guard: 'hasTtl', target: 'untilTtl' }, { target: 'untilReleased' }] },
        untilTtl: { after: { ttl: { target: '#awakeLock.released', actions: assign({ cause: 'expired' as const }) } } },
        untilReleased: {},
      },
    },
    released: {
      type: 'final',
      entry: { type: 'publish', params: ({ context }) => ({ type: 'awake.released', data: { lockId: context.lockId, cause: context.cause ?? 'released' } }) },
    },
  },
});
