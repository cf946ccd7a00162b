import { assign, setup } from 'xstate';
import { publishPlaceholder } from './contract-event.js';

export interface SessionInput {
  sessionId: string;
  /** SHA-256 of the token, hex: the token itself never lives in an actor. */
  tokenHash: string;
  origin: string | null;
  clientName: string | null;
  ttlMs: number;
  expiresAt: string;
}

export type SessionContext = SessionInput;

export type SessionEvent =
  | { type: 'session.refresh'; expiresAt: string }
  | { type: 'session.close' };

/**
 * A web-app session: alive until its TTL elapses without a refresh. Expiry is the actor's own
 * timer, so a session ends even when nobody asks about it.
 */
export const sessionMachine = setup({
  types: {} as { context: SessionContext; input: SessionInput; events: SessionEvent },
  actions: { publish: publishPlaceholder },
  delays: { ttl: ({ context }) => context.ttlMs },
}).createMachine({
  id: 'session',
  context: ({ input }) => ({ ...input }),
  initial: 'active',
  states: {
    active: {
      after: { ttl: 'expired' },
      on: {
        'session.refresh': {
          // Re-entering restarts the TTL timer.
          target: 'active',
          reenter: true,
          actions: [
            assign({ expiresAt: ({ event }) => event.expiresAt }),
            {
              type: 'publish',
              params: ({ context, event }) => ({
                type: 'session.refreshed',
                data: { sessionId: context.sessionId, expiresAt: event.expiresAt },
              }),
            },
          ],
        },
        'session.close': 'closed',
      },
    },
    expired: {
      type: 'final',
      entry: { type: 'publish', params: ({ context }) => ({ type: 'session.expired', data: { sessionId: context.sessionId } }) },
    },
    closed: { type: 'final' },
  },
});
