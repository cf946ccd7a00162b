import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import type { PublishParams } from '../../machines/contract-event.js';
import { sessionMachine } from '../../machines/session.machine.js';

function startSession(ttlMs = 1_000) {
  const clock = new SimulatedClock();
  const published: PublishParams[] = [];
  const actor = createActor(
    sessionMachine.provide({ actions: { publish: (_, params: PublishParams) => void published.push(params) } }),
    {
      clock,
      input: { sessionId: 'ses_a', tokenHash: 'abc', origin: 'https://app.example', clientName: 'web', ttlMs, expiresAt: '2026-01-01T00:00:01.000Z' },
    },
  ).start();
  return { actor, clock, published };
}

describe('session machine', () => {
  it('expires on its own when the TTL elapses and announces session.expired', () => {
    const { actor, clock, published } = startSession(1_000);
    clock.increment(999);
    expect(actor.getSnapshot().value).toBe('active');
    clock.increment(1);
    expect(actor.getSnapshot().value).toBe('expired');
    expect(actor.getSnapshot().status).toBe('done');
    expect(published).toEqual([{ type: 'session.expired', data: { sessionId: 'ses_a' } }]);
  });

  it('restarts the TTL on refresh and announces the new expiry', () => {
    const { actor, clock, published } = startSession(1_000);
    clock.increment(900);
    actor.send({ type: 'session.refresh', expiresAt: '2026-01-01T00:00:01.900Z' });
    clock.increment(900);
    expect(actor.getSnapshot().value).toBe('active');
    expect(actor.getSnapshot().context.expiresAt).toBe('2026-01-01T00:00:01.900Z');
    clock.increment(100);
    expect(actor.getSnapshot().value).toBe('expired');
    expect(published.map((p) => p.type)).toEqual(['session.refreshed', 'session.expired']);
  });

  it('closes without announcing expiry', () => {
    const { actor, published } = startSession();
    actor.send({ type: 'session.close' });
    expect(actor.getSnapshot().value).toBe('closed');
    expect(published).toEqual([]);
  });

  it('keeps only the token hash in its context', () => {
    const { actor } = startSession();
    expect(Object.keys(actor.getSnapshot().context)).not.toContain('token');
  });
});
