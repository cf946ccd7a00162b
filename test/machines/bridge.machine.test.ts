import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, waitFor, type AnyActorRef } from 'xstate';
import { CHILD_KINDS, SUPERVISOR_SHARDS, bridgeMachine, runtimeView, supervisorIdFor, supervisorIdOf } from '../../machines/bridge.machine.js';
import type { PublishParams } from '../../machines/contract-event.js';

const input = {
  bridgeId: 'b1',
  version: '0.0.0',
  configuredPort: 47832,
  trayMode: false,
  defaultCommandTimeoutMs: 300_000,
  promptTimeoutMs: 60_000,
  bus: 'embedded' as const,
};

const sessionInput = (sessionId: string) => ({ sessionId, tokenHash: 'h', origin: null, clientName: null, ttlMs: 60_000, expiresAt: new Date().toISOString() });

/** The supervisor that is the parent of the session `id`. */
function supervisorOf(actor: { getSnapshot(): { children: Record<string, unknown> } }, id: string): AnyActorRef {
  return actor.getSnapshot().children[supervisorIdFor('session', id)] as AnyActorRef;
}

/** A bridge whose listener binds according to `outcomes`, one per attempt, recording each port tried. */
function bridgeWith(outcomes: Array<'ok' | 'EADDRINUSE'>) {
  const tried: number[] = [];
  const published: PublishParams[] = [];
  const machine = bridgeMachine.provide({
    actors: {
      bindListener: fromPromise<{ port: number }, { port: number }>(async ({ input: { port } }) => {
        tried.push(port);
        const outcome = outcomes.shift() ?? 'ok';
        if (outcome !== 'ok') throw Object.assign(new Error(`listen ${outcome} 127.0.0.1:${port}`), { code: outcome });
        return { port };
      }),
      closeListener: fromPromise(async () => {}),
    },
    actions: { publish: (_, params: PublishParams) => void published.push(params) },
  });
  const actor = createActor(machine, { input }).start();
  return { actor, tried, published };
}

describe('bridge machine', () => {
  it('binds the configured port and announces bridge.started', async () => {
    const { actor, tried, published } = bridgeWith(['ok']);
    await waitFor(actor, (s) => s.matches('listening'));
    expect(tried).toEqual([47832]);
    expect(actor.getSnapshot().context.activePort).toBe(47832);
    expect(published).toContainEqual({ type: 'bridge.started', data: { bridgeId: 'b1', version: '0.0.0', port: 47832 } });
  });

  it('stays on the same port when binding fails and never tries another one', async () => {
    const { actor, tried } = bridgeWith(['EADDRINUSE']);
    const failed = await waitFor(actor, (s) => s.matches('bind_failed'));
    expect(failed.context.bindError).toMatch(/EADDRINUSE/);
    expect(failed.context.configuredPort).toBe(47832);
    expect(failed.context.activePort).toBeNull();
    expect(tried).toEqual([47832]);
  });

  it('retries exactly the configured port on listener.retry (ensure-server)', async () => {
    const { actor, tried } = bridgeWith(['EADDRINUSE', 'EADDRINUSE', 'ok']);
    await waitFor(actor, (s) => s.matches('bind_failed'));
    actor.send({ type: 'listener.retry' });
    await waitFor(actor, (s) => s.matches('bind_failed') && tried.length === 2);
    actor.send({ type: 'listener.retry' });
    const listening = await waitFor(actor, (s) => s.matches('listening'));
    expect(tried).toEqual([47832, 47832, 47832]);
    expect(listening.context.bindError).toBeNull();
  });

  it('ignores a retry while listening', async () => {
    const { actor, tried } = bridgeWith(['ok']);
    await waitFor(actor, (s) => s.matches('listening'));
    actor.send({ type: 'listener.retry' });
    expect(actor.getSnapshot().matches('listening')).toBe(true);
    expect(tried).toHaveLength(1);
  });

  it('stops through stopping, announcing bridge.stopping with the reason', async () => {
    const { actor, published } = bridgeWith(['ok']);
    await waitFor(actor, (s) => s.matches('listening'));
    actor.send({ type: 'bridge.stop', reason: 'SIGTERM' });
    const done = await waitFor(actor, (s) => s.status === 'done');
    expect(actor.getSnapshot().value).toBe('stopped');
    expect(done.status).toBe('done');
    expect(published).toContainEqual({ type: 'bridge.stopping', data: { bridgeId: 'b1', reason: 'SIGTERM' } });
  });

  it('spawns children by kind under that kind\'s supervisor and drops them once they finish', async () => {
    const { actor } = bridgeWith(['ok']);
    await waitFor(actor, (s) => s.matches('listening'));
    actor.send({ type: 'child.spawn', kind: 'session', id: 'ses_1', input: sessionInput('ses_1') });
    const supervisor = supervisorOf(actor, 'ses_1');
    const child = supervisor.getSnapshot().children['ses_1'] as AnyActorRef | undefined;
    expect(child?.getSnapshot().value).toBe('active');
    expect(actor.getSnapshot().children).not.toHaveProperty('ses_1');
    child!.send({ type: 'session.close' });
    await waitFor(supervisor, (s) => !('ses_1' in s.children));
  });

  it('has its supervisors, SUPERVISOR_SHARDS of each kind, as its children, besides its listener', async () => {
    const { actor } = bridgeWith(['ok']);
    await waitFor(actor, (s) => s.matches('listening'));
    const expected = CHILD_KINDS.flatMap((kind) => Array.from({ length: SUPERVISOR_SHARDS }, (_, shard) => supervisorIdOf(kind, shard)));
    expect(Object.keys(actor.getSnapshot().children).sort()).toEqual(expected.sort());
  });

  it('spreads the children of a kind over its supervisors', async () => {
    const { actor } = bridgeWith(['ok']);
    await waitFor(actor, (s) => s.matches('listening'));
    const ids = Array.from({ length: 20 * SUPERVISOR_SHARDS }, (_, i) => `ses_${i.toString(36)}${'x'.repeat(i % 7)}`);
    for (const id of ids) actor.send({ type: 'child.spawn', kind: 'session', id, input: sessionInput(id) });
    const sizes = Array.from({ length: SUPERVISOR_SHARDS }, (_, shard) => Object.keys((actor.getSnapshot().children[supervisorIdOf('session', shard)] as AnyActorRef).getSnapshot().children).length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(ids.length);
    // No supervisor holds more than twice its share: what each spawn and stop copies stays small.
    expect(Math.max(...sizes)).toBeLessThanOrEqual(40);
    for (const id of ids) expect(supervisorOf(actor, id).getSnapshot().children).toHaveProperty(id);
    actor.send({ type: 'bridge.stop', reason: 'test' });
  });

  it('stops a child by kind and id on child.stop', async () => {
    const { actor } = bridgeWith(['ok']);
    await waitFor(actor, (s) => s.matches('listening'));
    actor.send({ type: 'child.spawn', kind: 'session', id: 'ses_2', input: sessionInput('ses_2') });
    const child = supervisorOf(actor, 'ses_2').getSnapshot().children['ses_2'] as AnyActorRef;
    actor.send({ type: 'child.stop', kind: 'session', id: 'ses_2' });
    await waitFor(child, (s) => s.status === 'stopped');
    expect(supervisorOf(actor, 'ses_2').getSnapshot().children).not.toHaveProperty('ses_2');
  });

  it('stops every supervised child when it stops', async () => {
    const { actor } = bridgeWith(['ok']);
    await waitFor(actor, (s) => s.matches('listening'));
    actor.send({ type: 'child.spawn', kind: 'session', id: 'ses_3', input: sessionInput('ses_3') });
    const child = supervisorOf(actor, 'ses_3').getSnapshot().children['ses_3'] as AnyActorRef;
    actor.send({ type: 'bridge.stop', reason: 'test' });
    await waitFor(actor, (s) => s.status === 'done');
    await waitFor(child, (s) => s.status === 'stopped');
  });

  it('applies settings updates to the runtime view', async () => {
    const { actor } = bridgeWith(['ok']);
    await waitFor(actor, (s) => s.matches('listening'));
    actor.send({ type: 'settings.update', settings: { trayMode: true, promptTimeoutMs: 5_000 } });
    const snapshot = actor.getSnapshot();
    expect(runtimeView(snapshot.context, snapshot.value)).toMatchObject({
      trayMode: true,
      promptTimeoutMs: 5_000,
      configuredPort: 47832,
      activePort: 47832,
      bindState: 'listening',
    });
  });
});
