import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { awakeLockMachine, type AwakeLockInput } from '../../machines/awakeLock.machine.js';
import type { PublishParams } from '../../machines/contract-event.js';

const holder = { kind: 'session' as const, sessionId: 'ses_a', origin: 'https://app.example' };

function startLock(overrides: Partial<AwakeLockInput> = {}) {
  const clock = new SimulatedClock();
  const published: PublishParams[] = [];
  const input: AwakeLockInput = {
    lockId: 'lock_a',
    reason: 'long build',
    holder,
    runId: null,
    ttlMs: null,
    acquiredAt: '2026-01-01T00:00:00.000Z',
    expiresAt: null,
    ...overrides,
  };
  const actor = createActor(awakeLockMachine.provide({ actions: { publish: (_, params: PublishParams) => void published.push(params) } }), { clock, input }).start();
  return { actor, clock, published };
}

describe('awake lock machine', () => {
  it('announces awake.acquired with the lock as listed', () => {
    const { published } = startLock({ runId: 'run_1' });
    expect(published).toEqual([
      {
        type: 'awake.acquired',
        data: { lockId: 'lock_a', reason: 'long build', holder, acquiredAt: '2026-01-01T00:00:00.000Z', expiresAt: null, runId: 'run_1' },
      },
    ]);
  });

  it('expires on its own timer at its TTL and says so', () => {
    const { actor, clock, published } = startLock({ ttlMs: 60_000, expiresAt: '2026-01-01T00:01:00.000Z' });
    clock.increment(59_999);
    expect(actor.getSnapshot().status).toBe('active');
    clock.increment(1);
    expect(actor.getSnapshot().status).toBe('done');
    expect(published.at(-1)).toEqual({ type: 'awake.released', data: { lockId: 'lock_a', cause: 'expired' } });
  });

  it('without a TTL arms no timer and is held until released', () => {
    const { actor, clock } = startLock();
    clock.increment(2 ** 31);
    expect(actor.getSnapshot().matches({ held: 'untilReleased' })).toBe(true);
  });

  it.each(['released', 'run_ended', 'bridge_stopping'] as const)('ends with the cause it is released with (%s)', (cause) => {
    const { actor, published } = startLock({ ttlMs: 1_000 });
    actor.send({ type: 'lock.release', cause });
    expect(actor.getSnapshot().status).toBe('done');
    expect(published.at(-1)).toEqual({ type: 'awake.released', data: { lockId: 'lock_a', cause } });
  });

  it('a released lock does not expire later', () => {
    const { actor, clock, published } = startLock({ ttlMs: 1_000 });
    actor.send({ type: 'lock.release', cause: 'released' });
    clock.increment(5_000);
    expect(published.filter((p) => p.type === 'awake.released')).toHaveLength(1);
  });
});
