import { DEFAULT_REQUEST_TIMEOUT_MS, type Bus, type BusMessage, type MessageHandler, type RequestHandler, type RequestOptions, type SubscribeOptions, type Subscription } from './bus.js';
import { BusClosed, BusNoResponders, BusTimeout, safeReporter, type ErrorReporter } from './errors.js';
import { okEnvelope, openEnvelope, settleRequestSoon, type ReplyEnvelope } from './reply-envelope.js';
import { SubjectIndex, validateQueueName } from './subject-match.js';

export interface InProcessBusOptions {
  /** Receives errors thrown by handlers; default: console.error. */
  onError?: ErrorReporter;
}

/**
 * A request waiting for its reply: one object per request instead of a set of closures, since
 * request/reply is the path every HTTP call takes.
 */
class PendingRequest {
  readonly subject: string;
  readonly #resolve: (value: unknown) => void;
  readonly #reject: (error: Error) => void;
  /**
   * The bus's set of requests still waiting after their responders ran (drain fails them). A
   * request answered synchronously never enters it: adding and deleting a set entry per request
   * reallocated the set's table and left old-generation garbage behind (issue 15).
   */
  readonly #waiting: Set<PendingRequest>;
  readonly #timeoutMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The first reply wins, as on NATS; later ones find it set and are ignored. */
  #settled = false;

  constructor(subject: string, timeoutMs: number, resolve: (value: unknown) => void, reject: (error: Error) => void, waiting: Set<PendingRequest>) {
    this.subject = subject;
    this.#timeoutMs = timeoutMs;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#waiting = waiting;
  }

  /**
   * Armed once the responders have run: a responder that answered synchronously (most routes)
   * then costs no timer at all. Only microseconds separate this from the moment of the request.
   */
  armTimeout(): void {
    if (this.#settled || this.#timer !== undefined) return;
    this.#waiting.add(this);
    this.#timer = setTimeout(timeOut, this.#timeoutMs, this, this.#timeoutMs);
  }

  settle(envelope: ReplyEnvelope): void {
    if (!this.#finish()) return;
    try {
      this.#resolve(openEnvelope(envelope, this.subject));
    } catch (error) {
      this.#reject(error as Error);
    }
  }

  fail(error: Error = new BusClosed(this.subject)): void {
    if (this.#finish()) this.#reject(error);
  }

  /** Marks the request answered (false if it already was) and stops its clock. */
  #finish(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#waiting.delete(this);
    }
    return true;
  }
}

const timeOut = (pending: PendingRequest, timeoutMs: number): void => pending.fail(new BusTimeout(pending.subject, timeoutMs));
const RESOLVED = Promise.resolve();

/** A delivered message; requests carry the pending request their reply settles. */
class InProcessMessage implements BusMessage {
  readonly subject: string;
  readonly data: unknown;
  /** The request's inbox number (0 for a publish): its subject is spelled only if read. */
  readonly #inbox: number;
  readonly #pending: PendingRequest | undefined;

  constructor(subject: string, data: unknown, inbox = 0, pending?: PendingRequest) {
    this.subject = subject;
    this.data = data;
    this.#inbox = inbox;
    this.#pending = pending;
  }

  /** The reply subject of a request, as on NATS; nothing reads it on the in-process path (issue 15). */
  get reply(): string | undefined {
    return this.#inbox === 0 ? undefined : `_INBOX.${this.#inbox}`;
  }

  respond(data: unknown): void {
    this.#pending?.settle(okEnvelope(data));
  }

  /** Starts the request's timeout clock, after its responders ran. */
  static armTimeout(message: InProcessMessage): void {
    message.#pending?.armTimeout();
  }

  /** How `serve()` replies with an error as well as a value; kept off the public message. */
  static sendEnvelope(message: InProcessMessage, envelope: ReplyEnvelope): void {
    message.#pending?.settle(envelope);
  }
}

interface Sub {
  readonly subject: string;
  readonly queue: string | undefined;
  readonly handler: (message: InProcessMessage) => void | Promise<void>;
  /** False once unsubscribed: deliveries already queued for it are then dropped. */
  active: boolean;
}

/** Creates the default bus: in this process, no dependencies, same semantics as the NATS bus. */
export function createInProcessBus(options: InProcessBusOptions = {}): Bus {
  const report = safeReporter(options.onError);
  const index = new SubjectIndex<Sub>();
  const subs = new Set<Sub>();
  const queueCursor = new Map<string, number>();
  // Requests still waiting for a reply; drain fails them with BusClosed.
  const pendingRequests = new Set<PendingRequest>();
  let state: 'open' | 'draining' | 'closed' = 'open';
  let inbox = 0;
  // Dispatches queued plus async handlers still running; drain() waits for this to reach zero.
  let inFlight = 0;
  let onIdle: (() => void) | undefined;
  let drained: Promise<void> | undefined;

  const settleOne = (): void => {
    if (--inFlight === 0) onIdle?.();
  };

  /** Every plain subscriber, plus one member per queue group (round robin), in subscription order. */
  function targetsOf(matches: readonly Sub[]): readonly Sub[] {
    if (matches.length === 1) {
      // The common case (one service serving one route): the only member is the one chosen.
      const queue = matches[0]!.queue;
      if (queue !== undefined) queueCursor.set(queue, (queueCursor.get(queue) ?? 0) + 1);
      return matches;
    }
    if (!hasQueueMember(matches)) return matches;
    const members = new Map<string, Sub[]>();
    for (const sub of matches) {
      if (sub.queue === undefined) continue;
      const group = members.get(sub.queue);
      if (group) group.push(sub);
      else members.set(sub.queue, [sub]);
    }
    const chosen = new Set<Sub>();
    for (const [queue, group] of members) {
      const turn = queueCursor.get(queue) ?? 0;
      queueCursor.set(queue, turn + 1);
      chosen.add(group[turn % group.length]!);
    }
    return matches.filter((sub) => sub.queue === undefined || chosen.has(sub));
  }

  // Deliveries waiting for their microtask, as [targets, message] pairs: one microtask runs every
  // delivery queued before it, instead of one closure and one microtask per message. Two arrays
  // take turns, filled up to `queued` and never emptied by `length = 0` (which drops V8's backing
  // store): a fresh array per flush was ~150 bytes per request (issue 15).
  let queue: Array<readonly Sub[] | InProcessMessage | undefined> = [];
  let spare: Array<readonly Sub[] | InProcessMessage | undefined> = [];
  let queued = 0;
  let flushScheduled = false;

  /** Runs the handlers in a later microtask so that a publisher is never re-entered. */
  function dispatch(targets: readonly Sub[], message: InProcessMessage): void {
    inFlight++;
    queue[queued++] = targets;
    queue[queued++] = message;
    if (!flushScheduled) {
      flushScheduled = true;
      // A resolved promise's reaction rather than queueMicrotask, which wraps each callback in an
      // AsyncResource (an allocation and a bound function per flush, issue 15). Same microtask queue.
      void RESOLVED.then(flush);
    }
  }

  function flush(): void {
    // Deliveries queued by these handlers go to the next microtask, as they would one by one.
    const batch = queue;
    const length = queued;
    queue = spare;
    queued = 0;
    flushScheduled = false;
    // Handed over before the handlers run, so the two never end up as one array. A burst's large
    // array is let go rather than kept for ever.
    spare = length > 1024 ? [] : batch;
    for (let i = 0; i < length; i += 2) {
      const targets = batch[i] as readonly Sub[];
      const message = batch[i + 1] as InProcessMessage;
      // Emptied as it goes, so the spare array keeps no message (or its data) alive.
      batch[i] = batch[i + 1] = undefined;
      for (const sub of targets) invoke(sub, message);
      InProcessMessage.armTimeout(message);
      settleOne();
    }
  }

  function invoke(sub: Sub, message: InProcessMessage): void {
    if (!sub.active) return;
    try {
      const result: unknown = sub.handler(message);
      if (isThenable(result)) {
        inFlight++;
        Promise.resolve(result).then(settleOne, (error: unknown) => {
          report(error, { subject: message.subject });
          settleOne();
        });
      }
    } catch (error) {
      report(error, { subject: message.subject });
    }
  }

  function addSubscription(subject: string, handler: Sub['handler'], options: SubscribeOptions = {}): Subscription {
    if (state !== 'open') throw new BusClosed(subject);
    if (options.queue !== undefined) validateQueueName(subject, options.queue);
    const sub: Sub = { subject, queue: options.queue, handler, active: true };
    index.add(subject, sub);
    subs.add(sub);
    return {
      subject,
      unsubscribe() {
        if (!sub.active) return;
        sub.active = false;
        subs.delete(sub);
        index.remove(subject, sub);
      },
    };
  }

  function request<T>(subject: string, data: unknown, options: RequestOptions = {}): Promise<T> {
    if (state !== 'open') return Promise.reject(new BusClosed(subject));
    let targets: readonly Sub[];
    try {
      targets = targetsOf(index.match(subject));
    } catch (error) {
      return Promise.reject(error);
    }
    if (targets.length === 0) return Promise.reject(new BusNoResponders(subject));
    const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    return new Promise<T>((resolve, reject) => {
      const pending = new PendingRequest(subject, timeoutMs, resolve as (value: unknown) => void, reject, pendingRequests);
      dispatch(targets, new InProcessMessage(subject, data, ++inbox, pending));
    });
  }

  async function drainOnce(): Promise<void> {
    state = 'draining';
    // No new deliveries; those already queued still run, since their subscriptions stay active.
    for (const sub of subs) index.remove(sub.subject, sub);
    subs.clear();
    // Always awaited, even when idle, so that like on NATS the bus is still draining (accepting
    // and dropping publishes) until the drain promise settles, never closed synchronously.
    await new Promise<void>((resolve) => (inFlight > 0 ? (onIdle = resolve) : resolve()));
    state = 'closed';
    // A request whose responder never answered would otherwise wait for its timeout.
    for (const pending of [...pendingRequests]) pending.fail();
  }

  return {
    kind: 'embedded',
    publish(subject: string, data: unknown): void {
      if (state === 'closed') throw new BusClosed(subject);
      const matches = index.match(subject);
      if (matches.length > 0) dispatch(targetsOf(matches), new InProcessMessage(subject, data));
    },
    // Draining removed every subscription from the index, so this is false from then on.
    hasSubscribers: (subject: string): boolean => index.has(subject),
    subscribe: (subject: string, handler: MessageHandler, options?: SubscribeOptions) =>
      addSubscription(subject, handler, options),
    request,
    serve(subject: string, handler: RequestHandler, options?: SubscribeOptions): Subscription {
      return addSubscription(
        subject,
        (message) => {
          // A synchronous handler is answered at once, without a promise in between.
          const envelope = settleRequestSoon(handler, message, report);
          if (!isThenable(envelope)) return InProcessMessage.sendEnvelope(message, envelope);
          return envelope.then((settled) => InProcessMessage.sendEnvelope(message, settled));
        },
        options,
      );
    },
    drain: () => (drained ??= drainOnce()),
  };
}

function hasQueueMember(matches: readonly Sub[]): boolean {
  for (const sub of matches) if (sub.queue !== undefined) return true;
  return false;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}
