import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitFor } from 'xstate';
import { createInProcessBus, subjectsFor, type Bus } from '../../src/bus/index.js';
import { startActorRuntime, type ActorRuntime, type ActorTransition } from '../../src/runtime/actor-runtime.js';

let runtime: ActorRuntime | undefined;
afterEach(() => runtime?.root.stop());

function start(bus: Bus = createInProcessBus()): ActorRuntime {
  runtime = startActorRuntime({
    bus,
    subjects: subjectsFor('test'),
    input: { bridgeId: 'test', version: '0.0.0', configuredPort: 1, trayMode: false, defaultCommandTimeoutMs: 1_000, promptTimeoutMs: 1_000, bus: 'embedded' },
    bindListener: async (port) => ({ port }),
    closeListener: async () => {},
  });
  return runtime;
}

describe('actor runtime child lookup', () => {
  // Found by fuzzing: GET /api/v1/system/commands/runs/constructor answered 500, because the
  // lookup found Object.prototype.constructor among the children.
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])('finds no child called %s', (id) => {
    expect(start().child(id)).toBeUndefined();
  });
});

describe('actor runtime supervision', () => {
  const session = (sessionId: string) => ({ sessionId, tokenHash: 'h', origin: null, clientName: null, ttlMs: 60_000, expiresAt: new Date().toISOString() });
  const subjects = subjectsFor('test');

  it('finds a spawned child by id whatever its kind, and not once it has ended', async () => {
    const runtime = start();
    const ref = runtime.spawn('session', 'ses_1', session('ses_1'));
    expect(runtime.child('ses_1')).toBe(ref);
    ref.send({ type: 'session.close' });
    await waitFor(ref, (s) => s.status !== 'active');
    expect(runtime.child('ses_1')).toBeUndefined();
  });

  it('finds a child spawned through the root\'s child.spawn too', () => {
    const runtime = start();
    runtime.root.send({ type: 'child.spawn', kind: 'session', id: 'ses_root', input: session('ses_root') });
    expect(runtime.child('ses_root')?.getSnapshot().value).toBe('active');
  });

  it('finds the new actor under an id spawned again once the old one ended', async () => {
    const runtime = start();
    const old = runtime.spawn('session', 'ses_again', session('ses_again'));
    old.send({ type: 'session.close' });
    await waitFor(old, (s) => s.status !== 'active');
    const again = runtime.spawn('session', 'ses_again', session('ses_again'));
    expect(runtime.child('ses_again')).toBe(again);
    expect(again).not.toBe(old);
  });

  it('stops a child sent child.stop at the root', async () => {
    const runtime = start();
    const ref = runtime.spawn('session', 'ses_2', session('ses_2'));
    runtime.root.send({ type: 'child.stop', kind: 'session', id: 'ses_2' });
    await waitFor(ref, (s) => s.status === 'stopped');
    expect(runtime.child('ses_2')).toBeUndefined();
  });

  it('stops a child by kind and id through its supervisor', async () => {
    const runtime = start();
    const ref = runtime.spawn('session', 'ses_4', session('ses_4'));
    runtime.stop('session', 'ses_4');
    await waitFor(ref, (s) => s.status === 'stopped');
    expect(runtime.child('ses_4')).toBeUndefined();
  });

  it('does nothing, and warns of nothing, when asked to stop a child after the bridge stopped', () => {
    // An MCP server request's `finally` runs after the bridge's stop: a send there reached a
    // stopped actor, and xstate printed a warning into every test run that closed a bridge.
    const runtime = start();
    const ref = runtime.spawn('session', 'ses_5', session('ses_5'));
    runtime.root.stop();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      runtime.stop('session', 'ses_5');
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
    expect(ref.getSnapshot().status).toBe('stopped');
  });

  it('refuses a spawn after the bridge stopped, without sending it to a stopped supervisor', () => {
    const runtime = start();
    runtime.root.stop();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      expect(() => runtime.spawn('session', 'ses_6', session('ses_6'))).toThrow(/the bridge has stopped/);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
    expect(runtime.child('ses_6')).toBeUndefined();
  });

  it('lists children as the root\'s, without the supervisors in between', () => {
    const runtime = start();
    runtime.spawn('session', 'ses_3', session('ses_3'));
    expect(runtime.list().map(({ kind, actorId, parentId }) => ({ kind, actorId, parentId }))).toEqual([
      { kind: 'bridge', actorId: 'bridge', parentId: null },
      { kind: 'session', actorId: 'ses_3', parentId: 'bridge' },
    ]);
    expect(runtime.counts()).toEqual({ bridge: 1, session: 1 });
  });

  it('publishes a child\'s transitions with the root as its parent, and none of a supervisor', async () => {
    const bus = createInProcessBus();
    const transitions: ActorTransition[] = [];
    bus.subscribe(subjects.allActors, (message) => void transitions.push(message.data as ActorTransition));
    const runtime = start(bus);
    const ref = runtime.spawn('session', 'ses_4', session('ses_4'));
    ref.send({ type: 'session.close' });
    await waitFor(ref, (s) => s.status !== 'active');
    expect(transitions.filter((t) => t.kind === 'session').map(({ actorId, parentId, status }) => ({ actorId, parentId, status }))).toContainEqual({
      actorId: 'ses_4',
      parentId: 'bridge',
      status: 'done',
    });
    expect(transitions.map((t) => t.kind)).not.toContain('supervisor');
  });
});

describe('actor runtime transitions on the bus', () => {
  const subjects = subjectsFor('test');

  /** A real in-process bus that also records every subject published on it. */
  function recordingBus(): { bus: Bus; published: string[] } {
    const inner = createInProcessBus();
    const published: string[] = [];
    const bus: Bus = Object.assign(Object.create(inner) as Bus, {
      publish(subject: string, data: unknown) {
        published.push(subject);
        inner.publish(subject, data);
      },
    });
    return { bus, published };
  }

  /** The next message on `subject` (subscribed before `cause` runs). */
  function next<T>(bus: Bus, subject: string, cause: () => void): Promise<T> {
    return new Promise<T>((resolve) => {
      const subscription = bus.subscribe(subject, (message) => {
        subscription.unsubscribe();
        resolve(message.data as T);
      });
      cause();
    });
  }

  it('publishes no transition while nobody listens, but still the runtime view', async () => {
    const { bus, published } = recordingBus();
    const { root } = start(bus);
    const updated = await next<{ trayMode: boolean }>(bus, subjects.event('bridge.runtime.updated'), () =>
      root.send({ type: 'settings.update', settings: { trayMode: true } }),
    );
    expect(updated.trayMode).toBe(true);
    expect(published.filter((subject) => subject.startsWith(`${subjects.root}.actor.`))).toEqual([]);
  });

  it('gives a subscriber that comes later every transition from then on, through a wildcard', async () => {
    const { bus, published } = recordingBus();
    const { root } = start(bus);
    root.send({ type: 'settings.update', settings: { trayMode: true } });
    const transitions: ActorTransition[] = [];
    bus.subscribe(subjects.allActors, (message) => void transitions.push(message.data as ActorTransition));
    const updated = await next<{ promptTimeoutMs: number }>(bus, subjects.event('bridge.runtime.updated'), () => {
      root.send({ type: 'settings.update', settings: { promptTimeoutMs: 2_000 } });
      root.send({ type: 'settings.update', settings: { defaultCommandTimeoutMs: 3_000 } });
    });
    expect(updated.promptTimeoutMs).toBe(2_000);
    // Each update's transition is published before its runtime view, and one publisher's messages
    // arrive in order: once the third view has arrived, all three transitions have.
    await next(bus, subjects.event('bridge.runtime.updated'), () => root.send({ type: 'settings.update', settings: { trayMode: false } }));
    // The listener's bind ends in a transition of its own at some point; only the updates matter.
    const updates = transitions.filter((t) => t.event === 'settings.update');
    const settingsOf = (t: ActorTransition) => {
      const { trayMode, promptTimeoutMs, defaultCommandTimeoutMs } = t.context as Record<string, unknown>;
      return { trayMode, promptTimeoutMs, defaultCommandTimeoutMs };
    };
    expect(updates.map((t) => [t.kind, t.actorId, settingsOf(t)])).toEqual([
      ['bridge', 'bridge', { trayMode: true, promptTimeoutMs: 2_000, defaultCommandTimeoutMs: 1_000 }],
      ['bridge', 'bridge', { trayMode: true, promptTimeoutMs: 2_000, defaultCommandTimeoutMs: 3_000 }],
      ['bridge', 'bridge', { trayMode: false, promptTimeoutMs: 2_000, defaultCommandTimeoutMs: 3_000 }],
    ]);
    expect(published.filter((subject) => subject === subjects.actor('bridge', 'bridge'))).toHaveLength(transitions.length);
  });

  it('describes the transition for a subscriber of that one actor\'s subject', async () => {
    const bus = createInProcessBus();
    const { root } = start(bus);
    const transition = await next<ActorTransition>(bus, subjects.actor('bridge', 'bridge'), () =>
      root.send({ type: 'settings.update', settings: { trayMode: true } }),
    );
    expect(transition).toMatchObject({ kind: 'bridge', actorId: 'bridge', parentId: null, event: 'settings.update' });
    expect(bus.hasSubscribers(subjects.actor('bridge', 'bridge'))).toBe(false);
  });
});
