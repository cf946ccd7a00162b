import { afterEach, describe, expect, it } from 'vitest';
import { createActor as createXstateActor, waitFor, type AnyActorRef } from 'xstate';
import { supervisorMachine } from '../../machines/supervisor.machine.js';

const sessionInput = (sessionId: string) => ({ sessionId, tokenHash: 'h', origin: null, clientName: null, ttlMs: 60_000, expiresAt: new Date().toISOString() });


// Every supervisor a test starts is stopped after it (its sessions hold expiry timers).
const started: AnyActorRef[] = [];
afterEach(() => started.splice(0).forEach((actor) => actor.stop()));
const createActor: typeof createXstateActor = (logic, ...options) => {
  const actor = createXstateActor(logic, ...options);
  started.push(actor);
  return actor;
};

const childOf = (supervisor: AnyActorRef, id: string) => (supervisor.getSnapshot().children as Record<string, AnyActorRef | undefined>)[id];

describe('supervisor machine', () => {
  it('spawns children of its kind with the ids it is given', () => {
    const supervisor = createActor(supervisorMachine, { input: { kind: 'session' } }).start();
    supervisor.send({ type: 'child.spawn', id: 'ses_a', input: sessionInput('ses_a') });
    supervisor.send({ type: 'child.spawn', id: 'ses_b', input: sessionInput('ses_b') });
    expect(Object.keys(supervisor.getSnapshot().children)).toEqual(['ses_a', 'ses_b']);
    expect(childOf(supervisor, 'ses_a')?.getSnapshot().value).toBe('active');
    expect((childOf(supervisor, 'ses_b') as unknown as { _parent: AnyActorRef })._parent).toBe(supervisor);
  });

  it('drops a child that reached a final state and keeps the others', async () => {
    const supervisor = createActor(supervisorMachine, { input: { kind: 'session' } }).start();
    supervisor.send({ type: 'child.spawn', id: 'ses_a', input: sessionInput('ses_a') });
    supervisor.send({ type: 'child.spawn', id: 'ses_b', input: sessionInput('ses_b') });
    childOf(supervisor, 'ses_a')!.send({ type: 'session.close' });
    await waitFor(supervisor, (s) => !('ses_a' in s.children));
    expect(Object.keys(supervisor.getSnapshot().children)).toEqual(['ses_b']);
  });

  it('stops a child on child.stop and ignores an id it does not have', async () => {
    const supervisor = createActor(supervisorMachine, { input: { kind: 'session' } }).start();
    supervisor.send({ type: 'child.spawn', id: 'ses_a', input: sessionInput('ses_a') });
    const child = childOf(supervisor, 'ses_a')!;
    supervisor.send({ type: 'child.stop', id: 'ses_missing' });
    expect(child.getSnapshot().status).toBe('active');
    supervisor.send({ type: 'child.stop', id: 'ses_a' });
    await waitFor(child, (s) => s.status === 'stopped');
    expect(supervisor.getSnapshot().children).toEqual({});
  });

  it('stops its children when it is stopped', async () => {
    const supervisor = createActor(supervisorMachine, { input: { kind: 'session' } }).start();
    supervisor.send({ type: 'child.spawn', id: 'ses_a', input: sessionInput('ses_a') });
    const child = childOf(supervisor, 'ses_a')!;
    supervisor.stop();
    await waitFor(child, (s) => s.status === 'stopped');
  });
});
