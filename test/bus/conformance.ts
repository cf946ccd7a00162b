import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bus, BusMessage, SubscribeOptions } from '../../src/bus/bus.js';
import { BusClosed, BusNoResponders, BusTimeout, InvalidSubject, type ErrorReporter } from '../../src/bus/errors.js';
import { BridgeError } from '../../src/contract/errors.js';

/** Builds a fresh bus for one test; `onError` must be passed through to the bus. */
export type BusFactory = (options: { onError: ErrorReporter }) => Bus | Promise<Bus>;

/** How long a wait may take before it fails with a useful message (never a correctness sleep). */
const WAIT_LIMIT_MS = 5000;

/** Messages received by one handler, with promises that resolve when enough have arrived. */
class Inbox {
  readonly messages: BusMessage[] = [];
  readonly #waiters: { count: number; resolve: () => void }[] = [];

  constructor(readonly label: string) {}

  readonly push = (message: BusMessage): void => {
    this.messages.push(message);
    for (const waiter of [...this.#waiters]) {
      if (this.messages.length >= waiter.count) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };

  get data(): unknown[] {
    return this.messages.map((message) => message.data);
  }

  get subjects(): string[] {
    return this.messages.map((message) => message.subject);
  }

  /** Resolves once `count` messages have arrived. */
  async until(count: number): Promise<void> {
    if (this.messages.length >= count) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.#waiters.push({ count, resolve })),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${this.label}: expected ${count} messages, got ${this.messages.length}`)),
          WAIT_LIMIT_MS,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * The behaviour every `Bus` must show, run unchanged against each implementation. Absence of a
 * delivery is checked with a fence: messages from one publisher arrive in order, so once a later
 * fence message has arrived, any earlier message that was going to arrive has arrived too.
 */
export function describeBusConformance(name: string, factory: BusFactory): void {
  describe(`${name} bus conformance`, () => {
    let bus: Bus;
    let reported: { error: unknown; subject: string }[];
    let testNo = 0;
    let prefix: string;
    let fenceInbox: Inbox;
    let fencesSent = 0;

    /** A subject private to the current test. */
    const s = (suffix: string): string => `${prefix}.${suffix}`;

    function inbox(subject: string, options?: SubscribeOptions): Inbox {
      const box = new Inbox(`${subject}${options?.queue ? ` [${options.queue}]` : ''}`);
      bus.subscribe(subject, box.push, options);
      return box;
    }

    /** Returns once everything published before it has been delivered. */
    async function fence(): Promise<void> {
      bus.publish(`fence.${prefix.replaceAll('.', '-')}`, ++fencesSent);
      await fenceInbox.until(fencesSent);
    }

    beforeEach(async () => {
      reported = [];
      prefix = `conformance.t${++testNo}`;
      fencesSent = 0;
      bus = await factory({ onError: (error, { subject }) => reported.push({ error, subject }) });
      fenceInbox = inbox(`fence.${prefix.replaceAll('.', '-')}`);
    });

    afterEach(async () => {
      await bus.drain();
    });

    describe('subject matching', () => {
      it.each([
        { pattern: 'a.b', hits: ['a.b'], misses: ['a', 'a.b.c', 'a.c', 'b.b'] },
        { pattern: 'a.*', hits: ['a.b', 'a.c'], misses: ['a', 'a.b.c', 'b.a'] },
        { pattern: 'a.*.c', hits: ['a.b.c', 'a.x.c'], misses: ['a.b', 'a.b.d', 'a.b.c.d'] },
        { pattern: 'a.>', hits: ['a.b', 'a.b.c', 'a.b.c.d'], misses: ['a', 'b.a'] },
        { pattern: '*.b.>', hits: ['a.b.c', 'x.b.y.z'], misses: ['a.b', 'a.c.d'] },
      ])('delivers $pattern to $hits and nothing else', async ({ pattern, hits, misses }) => {
        const box = inbox(s(pattern));
        for (const subject of [...misses, ...hits]) bus.publish(s(subject), subject);
        await fence();
        expect(box.data).toEqual(hits);
        expect(box.subjects).toEqual(hits.map(s));
      });

      it.each([
        ['publish', 'a.*'],
        ['publish', 'a.>'],
        ['publish', ''],
        ['publish', 'a..b'],
        ['publish', 'a.b.'],
        ['publish', 'a b'],
        ['subscribe', 'a.>.b'],
        ['subscribe', '.a'],
        ['subscribe', 'a\tb'],
        ['request', 'a.*'],
        ['request', 'a..b'],
      ])('rejects %s on invalid subject %j with InvalidSubject', async (operation, subject) => {
        const attempt = async (): Promise<unknown> =>
          operation === 'publish'
            ? bus.publish(subject, 1)
            : operation === 'subscribe'
              ? bus.subscribe(subject, () => {})
              : bus.request(subject, 1);
        const error = await attempt().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidSubject);
        expect((error as InvalidSubject).message).toContain(JSON.stringify(subject));
      });
    });

    describe('hasSubscribers', () => {
      it.each([
        { pattern: 'a.b', hits: ['a.b'], misses: ['a', 'a.b.c', 'a.c', 'b.b'] },
        { pattern: 'a.*', hits: ['a.b', 'a.c'], misses: ['a', 'a.b.c', 'b.a'] },
        { pattern: 'a.*.c', hits: ['a.b.c', 'a.x.c'], misses: ['a.b', 'a.b.d', 'a.b.c.d', 'a.x'] },
        { pattern: 'a.>', hits: ['a.b', 'a.b.c', 'a.b.c.d'], misses: ['a', 'b.a'] },
        { pattern: '*.b.>', hits: ['a.b.c', 'x.b.y.z'], misses: ['a.b', 'a.c.d'] },
      ])('says whether $pattern would receive a publish: yes for $hits, no for $misses', ({ pattern, hits, misses }) => {
        for (const subject of [...hits, ...misses]) expect(bus.hasSubscribers(s(subject))).toBe(false);
        const subscription = bus.subscribe(s(pattern), () => {});
        for (const subject of hits) expect(bus.hasSubscribers(s(subject)), subject).toBe(true);
        for (const subject of misses) expect(bus.hasSubscribers(s(subject)), subject).toBe(false);
        subscription.unsubscribe();
        for (const subject of hits) expect(bus.hasSubscribers(s(subject)), subject).toBe(false);
      });

      it('stays exact after a publish cached the subject, as subscriptions come and go', async () => {
        const wide: unknown[] = [];
        const wideSubscription = bus.subscribe(s('x.>'), (message) => void wide.push(message.data));
        bus.publish(s('x.y'), 'to the wide one');
        await fence();
        expect(bus.hasSubscribers(s('x.y'))).toBe(true);
        // A subscriber that arrives later is seen, and keeps it true once the first one leaves.
        const narrow = inbox(s('x.y'));
        wideSubscription.unsubscribe();
        expect(bus.hasSubscribers(s('x.y'))).toBe(true);
        expect(bus.hasSubscribers(s('x.z'))).toBe(false);
        bus.publish(s('x.y'), 'to the narrow one');
        await fence();
        expect(wide).toEqual(['to the wide one']);
        expect(narrow.data).toEqual(['to the narrow one']);
      });

      it('counts queue-group members, and is false once draining', async () => {
        bus.subscribe(s('q'), () => {}, { queue: 'workers' });
        expect(bus.hasSubscribers(s('q'))).toBe(true);
        const drained = bus.drain();
        expect(bus.hasSubscribers(s('q'))).toBe(false);
        await drained;
        expect(bus.hasSubscribers(s('q'))).toBe(false);
      });

      it.each(['a.*', 'a.>', '', 'a..b'])('rejects invalid subject %j with InvalidSubject, as publish does', (subject) => {
        expect(() => bus.hasSubscribers(subject)).toThrow(InvalidSubject);
      });
    });

    describe('publish and subscribe', () => {
      it('never runs a handler inside publish()', async () => {
        const box = inbox(s('x'));
        bus.publish(s('x'), 1);
        expect(box.messages).toHaveLength(0);
        await box.until(1);
      });

      it('delivers messages from one publisher in order, to every subscriber', async () => {
        const first = inbox(s('seq'));
        const second = inbox(s('seq'));
        const sent = Array.from({ length: 200 }, (_, i) => i);
        for (const n of sent) bus.publish(s('seq'), n);
        await Promise.all([first.until(200), second.until(200)]);
        expect(first.data).toEqual(sent);
        expect(second.data).toEqual(sent);
      });

      it('stops delivering after unsubscribe, and unsubscribing twice is harmless', async () => {
        const kept = inbox(s('x'));
        const dropped = new Inbox('dropped');
        const subscription = bus.subscribe(s('x'), dropped.push);
        expect(subscription.subject).toBe(s('x'));
        bus.publish(s('x'), 1);
        await Promise.all([kept.until(1), dropped.until(1)]);
        subscription.unsubscribe();
        subscription.unsubscribe();
        bus.publish(s('x'), 2);
        await fence();
        expect(kept.data).toEqual([1, 2]);
        expect(dropped.data).toEqual([1]);
      });

      it('gives a plain publish no reply subject and a respond() that does nothing', async () => {
        const box = inbox(s('x'));
        bus.publish(s('x'), 'hi');
        await box.until(1);
        expect(box.messages[0]!.reply).toBeUndefined();
        expect(() => box.messages[0]!.respond('ignored')).not.toThrow();
      });

      it.each([
        ['an object', { a: 1, nested: { list: [1, 2, { b: 'c' }] } }],
        ['an array', [1, 'two', null, false]],
        ['null', null],
        ['a string', 'text with ünïcode ✓'],
        ['an empty string', ''],
        ['zero', 0],
        ['a negative float', -1.5],
        ['true', true],
        ['false', false],
        ['undefined', undefined],
      ])('carries %s unchanged through publish and request', async (_label, value) => {
        const box = inbox(s('json'));
        bus.serve(s('echo'), (data) => data);
        bus.publish(s('json'), value);
        await box.until(1);
        expect(box.data).toEqual([value]);
        await expect(bus.request(s('echo'), value)).resolves.toEqual(value);
      });

      it('reports handler errors without affecting other subscribers', async () => {
        bus.subscribe(s('x'), () => {
          throw new Error('sync failure');
        });
        bus.subscribe(s('x'), async () => {
          throw new Error('async failure');
        });
        const healthy = inbox(s('x'));
        bus.publish(s('x'), 1);
        bus.publish(s('x'), 2);
        await healthy.until(2);
        await fence();
        expect(healthy.data).toEqual([1, 2]);
        expect(reported.map((r) => [(r.error as Error).message, r.subject]).sort()).toEqual([
          ['async failure', s('x')],
          ['async failure', s('x')],
          ['sync failure', s('x')],
          ['sync failure', s('x')],
        ]);
      });
    });

    describe('queue groups', () => {
      it('delivers each message to exactly one member, and every message to plain subscribers', async () => {
        const members = [1, 2, 3].map(() => inbox(s('jobs'), { queue: 'workers' }));
        const observer = inbox(s('jobs'));
        const sent = Array.from({ length: 30 }, (_, i) => i);
        for (const n of sent) bus.publish(s('jobs'), n);
        await observer.until(sent.length);
        await fence();
        const handled = members.flatMap((member) => member.data as number[]);
        expect(handled.sort((a, b) => a - b)).toEqual(sent);
        expect(observer.data).toEqual(sent);
      });

      it('gives each queue group its own copy', async () => {
        const groupA = [inbox(s('jobs'), { queue: 'a' }), inbox(s('jobs'), { queue: 'a' })];
        const groupB = [inbox(s('jobs'), { queue: 'b' }), inbox(s('jobs'), { queue: 'b' })];
        for (let n = 0; n < 10; n++) bus.publish(s('jobs'), n);
        await fence();
        for (const group of [groupA, groupB]) {
          expect(group.flatMap((member) => member.data as number[]).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        }
      });

      it('answers a request from one member of a serving queue group', async () => {
        const calls: string[] = [];
        bus.serve(s('rpc'), () => (calls.push('one'), 'one'), { queue: 'servers' });
        bus.serve(s('rpc'), () => (calls.push('two'), 'two'), { queue: 'servers' });
        const reply = await bus.request(s('rpc'), null);
        await fence();
        expect(calls).toEqual([reply]);
      });
    });

    describe('request and reply', () => {
      it('resolves with what a subscriber passes to respond()', async () => {
        bus.subscribe(s('rpc'), (message) => {
          expect(message.reply).toEqual(expect.any(String));
          message.respond({ echo: message.data });
        });
        await expect(bus.request(s('rpc'), { n: 1 })).resolves.toEqual({ echo: { n: 1 } });
      });

      it('lets every plain subscriber see a request, and the first reply wins', async () => {
        const seen = new Inbox('seen');
        bus.subscribe(s('rpc'), (message) => (seen.push(message), message.respond('a')));
        bus.subscribe(s('rpc'), (message) => (seen.push(message), message.respond('b')));
        const reply = await bus.request(s('rpc'), null);
        await seen.until(2);
        expect(['a', 'b']).toContain(reply);
      });

      it('resolves with the value a serve() handler returns, sync or async', async () => {
        bus.serve(s('sync'), (data, message) => ({ got: data, subject: message.subject }));
        bus.serve(s('async'), async (data) => [data, data]);
        await expect(bus.request(s('sync'), 7)).resolves.toEqual({ got: 7, subject: s('sync') });
        await expect(bus.request(s('async'), 'x')).resolves.toEqual(['x', 'x']);
      });

      it('rejects with the BridgeError a serve() handler throws, code and details intact', async () => {
        bus.serve(s('rpc'), async () => {
          throw new BridgeError('conflict', 'The run already finished', { details: { runId: 'r1' } });
        });
        const error = await bus.request(s('rpc'), null).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BridgeError);
        expect(error).toMatchObject({ code: 'conflict', message: 'The run already finished', details: { runId: 'r1' } });
        expect(reported).toEqual([]);
      });

      it('turns any other serve() failure into a generic internal BridgeError and reports it', async () => {
        const bug = new TypeError('secret detail: cannot read x of undefined');
        bus.serve(s('rpc'), () => {
          throw bug;
        });
        const error = await bus.request(s('rpc'), null).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BridgeError);
        expect((error as BridgeError).code).toBe('internal');
        expect((error as BridgeError).message).not.toContain('secret');
        expect((error as BridgeError).details).toBeUndefined();
        expect(reported).toEqual([{ error: bug, subject: s('rpc') }]);
      });

      it('rejects at once with BusNoResponders when nobody listens', async () => {
        // A long timeout: an implementation that waited for it would fail this test by its own timeout.
        const error = await bus.request(s('nobody'), 1, { timeoutMs: 60_000 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BusNoResponders);
        expect((error as BusNoResponders).subject).toBe(s('nobody'));
        expect((error as Error).message).toContain(s('nobody'));
      });

      it('rejects with BusTimeout when no reply comes in time', async () => {
        const box = inbox(s('silent'));
        const error = await bus.request(s('silent'), 1, { timeoutMs: 100 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BusTimeout);
        expect((error as Error).message).toContain(s('silent'));
        expect(box.messages).toHaveLength(1);
      });
    });

    describe('drain', () => {
      it('waits for an in-flight handler, then refuses further work with BusClosed', async () => {
        const release = deferred();
        const started = new Inbox('started');
        const events: string[] = [];
        bus.subscribe(s('slow'), async (message) => {
          started.push(message);
          await release.promise;
          // A few more turns, so that a drain that does not really wait gets ahead of us here.
          for (let turn = 0; turn < 10; turn++) await Promise.resolve();
          bus.publish(s('elsewhere'), 'handlers may still publish while draining');
          events.push('handler finished');
        });
        bus.publish(s('slow'), 1);
        await started.until(1);
        const drained = bus.drain().then(() => events.push('drained'));
        expect(bus.drain()).toBe(bus.drain());
        release.resolve();
        await drained;
        expect(events).toEqual(['handler finished', 'drained']);
        expect(reported).toEqual([]);
        expect(() => bus.publish(s('slow'), 2)).toThrow(BusClosed);
        await expect(bus.request(s('slow'), 2)).rejects.toBeInstanceOf(BusClosed);
        expect(() => bus.subscribe(s('slow'), () => {})).toThrow(BusClosed);
      });

      it('does not finish before a slow handler has finished', async () => {
        const started = new Inbox('started');
        const drainSettled = deferred();
        bus.subscribe(s('slow'), async (message) => {
          started.push(message);
          // The handler wakes when drain() settles or after 100 ms, whichever is first. A correct
          // bus is still draining at 100 ms; a bus that does not wait would have closed, and the
          // publish below would fail. The timer only gives a wrong bus time to show itself.
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([drainSettled.promise, new Promise((resolve) => (timer = setTimeout(resolve, 100)))]);
          clearTimeout(timer);
          bus.publish(s('elsewhere'), 'still draining');
        });
        bus.publish(s('slow'), 1);
        await started.until(1);
        await bus.drain().finally(drainSettled.resolve);
        expect(reported).toEqual([]);
      });

      it('lets an in-flight serve() handler still deliver its reply', async () => {
        const release = deferred();
        const started = new Inbox('started');
        bus.serve(s('rpc'), async (data, message) => {
          started.push(message);
          await release.promise;
          return { late: data };
        });
        const reply = bus.request(s('rpc'), 1);
        await started.until(1);
        const drained = bus.drain();
        await expect(bus.request(s('rpc'), 2)).rejects.toBeInstanceOf(BusClosed);
        release.resolve();
        await expect(reply).resolves.toEqual({ late: 1 });
        await drained;
      });

      it('delivers nothing published after drain() began', async () => {
        const box = inbox(s('x'));
        const drained = bus.drain();
        bus.publish(s('x'), 'too late');
        await drained;
        expect(box.messages).toHaveLength(0);
      });

      it('rejects a request still waiting for a reply with BusClosed', async () => {
        const box = inbox(s('silent'));
        // Caught up front: the rejection happens during drain(), before anyone awaits it.
        const outcome = bus.request(s('silent'), 1, { timeoutMs: 60_000 }).catch((e: unknown) => e);
        await box.until(1);
        await bus.drain();
        expect(await outcome).toBeInstanceOf(BusClosed);
      });
    });
  });
}
