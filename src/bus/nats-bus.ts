import { connect, errors, type Msg, type NatsConnection, type Subscription as NatsSubscription } from '@nats-io/transport-node';
import { DEFAULT_REQUEST_TIMEOUT_MS, type Bus, type BusMessage, type MessageHandler, type RequestHandler, type RequestOptions, type SubscribeOptions, type Subscription } from './bus.js';
import { BusClosed, BusNoResponders, BusTimeout, safeReporter, type ErrorReporter } from './errors.js';
import { okEnvelope, openEnvelope, settleRequest, type ReplyEnvelope } from './reply-envelope.js';
import { validatePublishSubject, validateQueueName, validateSubscriptionSubject } from './subject-match.js';

export interface NatsBusOptions {
  /** Receives errors thrown by handlers and connection failures; default: console.error. */
  onError?: ErrorReporter;
  /** Connection name, as shown by the server's monitoring. */
  name?: string;
}

/**
 * Payloads are JSON text. `undefined` travels as an empty payload and comes back as `undefined`,
 * so both buses agree on it; every other value, `null` and `""` included, encodes to non-empty JSON.
 */
function encode(data: unknown): string | undefined {
  return data === undefined ? undefined : JSON.stringify(data);
}

function decode(msg: Msg): unknown {
  return msg.data.length === 0 ? undefined : msg.json();
}

/** Connects to the NATS server at `url` and returns a bus with the in-process bus's semantics. */
export async function connectNatsBus(url: string, options: NatsBusOptions = {}): Promise<Bus> {
  const nc = await connect({ servers: url, name: options.name ?? 'osloop-bridge' });
  return wrapConnection(nc, safeReporter(options.onError));
}

function wrapConnection(nc: NatsConnection, report: ErrorReporter): Bus {
  const subs = new Set<NatsSubscription>();
  let state: 'open' | 'draining' | 'closed' = 'open';
  // nats.js does not await async callbacks, so drain() tracks running handlers itself.
  let inFlight = 0;
  let onIdle: (() => void) | undefined;
  let drained: Promise<void> | undefined;

  void nc.closed().then((error) => {
    state = 'closed';
    if (error) report(error, { subject: '(connection)' });
  });

  /** Turns nats.js failures into the bus's own error classes. */
  function toBusError(error: unknown, subject: string, timeoutMs = 0): unknown {
    if (error instanceof errors.TimeoutError) return new BusTimeout(subject, timeoutMs, { cause: error });
    if (error instanceof errors.NoRespondersError) return new BusNoResponders(subject, { cause: error });
    if (error instanceof errors.RequestError && error.isNoResponders()) return new BusNoResponders(subject, { cause: error });
    if (error instanceof errors.ClosedConnectionError || error instanceof errors.DrainingConnectionError) {
      return new BusClosed(subject, { cause: error });
    }
    // Requests still pending when the connection closes fail with a generic RequestError.
    if (nc.isClosed() || nc.isDraining()) return new BusClosed(subject, { cause: error });
    return error;
  }

  function send(subject: string, payload: string | undefined): void {
    try {
      nc.publish(subject, payload);
    } catch (error) {
      throw toBusError(error, subject);
    }
  }

  /** Replies with `envelope`; a value JSON cannot encode becomes an `internal` error reply. */
  function sendEnvelope(msg: Msg, envelope: ReplyEnvelope): void {
    if (!msg.reply) return;
    let payload: string;
    try {
      payload = JSON.stringify(envelope);
    } catch (error) {
      report(error, { subject: msg.subject });
      payload = JSON.stringify({ ok: false, error: { code: 'internal', message: 'The reply could not be encoded' } });
    }
    send(msg.reply, payload);
  }

  function toBusMessage(msg: Msg): BusMessage {
    return {
      subject: msg.subject,
      data: decode(msg),
      reply: msg.reply || undefined,
      respond: (data) => sendEnvelope(msg, okEnvelope(data)),
    };
  }

  function settleOne(): void {
    if (--inFlight === 0) onIdle?.();
  }

  /** Runs one handler call, counting it in flight until it settles and reporting what it throws. */
  function run(subject: string, call: () => unknown): void {
    inFlight++;
    try {
      const result = call();
      if (typeof (result as PromiseLike<unknown> | null)?.then === 'function') {
        Promise.resolve(result).then(settleOne, (error: unknown) => {
          report(error, { subject });
          settleOne();
        });
        return;
      }
    } catch (error) {
      report(error, { subject });
    }
    settleOne();
  }

  function addSubscription(
    subject: string,
    handler: (message: BusMessage, msg: Msg) => unknown,
    options: SubscribeOptions = {},
  ): Subscription {
    if (state !== 'open') throw new BusClosed(subject);
    validateSubscriptionSubject(subject);
    if (options.queue !== undefined) validateQueueName(subject, options.queue);
    let sub: NatsSubscription;
    try {
      sub = nc.subscribe(subject, {
        ...(options.queue !== undefined ? { queue: options.queue } : {}),
        callback: (error, msg) => {
          if (error) return report(error, { subject });
          // A payload that is not JSON (another client on the same server) is reported, not delivered.
          run(msg.subject, () => handler(toBusMessage(msg), msg));
        },
      });
    } catch (error) {
      throw toBusError(error, subject);
    }
    subs.add(sub);
    return {
      subject,
      unsubscribe() {
        if (subs.delete(sub) && !nc.isClosed()) sub.unsubscribe();
      },
    };
  }

  async function request<T>(subject: string, data: unknown, options: RequestOptions = {}): Promise<T> {
    if (state !== 'open') throw new BusClosed(subject);
    validatePublishSubject(subject);
    const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    let reply: Msg;
    try {
      reply = await nc.request(subject, encode(data), { timeout: timeoutMs });
    } catch (error) {
      throw toBusError(error, subject, timeoutMs);
    }
    let envelope: unknown;
    try {
      envelope = decode(reply);
    } catch {
      envelope = undefined; // openEnvelope turns it into a "malformed reply" error
    }
    return openEnvelope(envelope, subject) as T;
  }

  async function drainOnce(): Promise<void> {
    if (nc.isClosed()) {
      state = 'closed';
      return;
    }
    state = 'draining';
    // Unsubscribe at the server and handle what already arrived, then let running handlers
    // finish while the connection can still carry their replies and publishes.
    await Promise.all([...subs].map((sub) => sub.drain().catch((error: unknown) => report(error, { subject: sub.getSubject() }))));
    subs.clear();
    if (inFlight > 0) await new Promise<void>((resolve) => (onIdle = resolve));
    state = 'closed';
    if (!nc.isClosed()) await nc.drain();
  }

  return {
    kind: 'nats',
    publish(subject: string, data: unknown): void {
      if (state === 'closed') throw new BusClosed(subject);
      validatePublishSubject(subject);
      send(subject, encode(data));
    },
    subscribe: (subject: string, handler: MessageHandler, options?: SubscribeOptions) =>
      addSubscription(subject, (message) => handler(message), options),
    request,
    serve(subject: string, handler: RequestHandler, options?: SubscribeOptions): Subscription {
      return addSubscription(
        subject,
        async (message, msg) => sendEnvelope(msg, await settleRequest(handler, message, report)),
        options,
      );
    },
    drain: () => (drained ??= drainOnce()),
  };
}
