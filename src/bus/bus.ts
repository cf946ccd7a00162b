/**
 * The message bus every actor is reached through. NATS subject semantics: tokens split on `.`,
 * `*` matches exactly one token, `>` (last token only) matches one or more. Payloads are
 * JSON-compatible values; the in-process bus passes them by reference, so publishers must not
 * mutate a value after publishing it.
 */
export interface Bus {
  /** `embedded` (in-process) or `nats`. */
  readonly kind: 'embedded' | 'nats';
  /** Fire-and-forget delivery to every matching subscription. */
  publish(subject: string, data: unknown): void;
  /**
   * Whether a `publish(subject)` made now would reach any subscriber (wildcards included). Lets a
   * publisher skip building a costly payload nobody would receive; a subscriber that arrives later
   * gets the messages published from then on, as it would anyway. False once draining or closed.
   * Throws `InvalidSubject` for a subject `publish` would refuse.
   */
  hasSubscribers(subject: string): boolean;
  /** Calls `handler` for each message on a matching subject until unsubscribed or drained. */
  subscribe(subject: string, handler: MessageHandler, options?: SubscribeOptions): Subscription;
  /**
   * Sends `data` to the matching subscribers (one per queue group) and resolves with the first
   * reply. Rejects with `BusNoResponders` at once when nothing listens, `BusTimeout` after
   * `timeoutMs` (default 5000), `BusClosed` once draining, or a `BridgeError` when a `serve()`
   * handler threw: the same code, message and details for a `BridgeError`, `internal` with a
   * generic message for anything else.
   */
  request<T = unknown>(subject: string, data: unknown, options?: RequestOptions): Promise<T>;
  /**
   * Serves requests on `subject`: the handler's return value (sync or async) is the reply, and
   * what it throws reaches the requester as described on `request`. Same semantics on both buses.
   */
  serve(subject: string, handler: RequestHandler, options?: SubscribeOptions): Subscription;
  /**
   * Stops delivering new messages and refuses new subscriptions and requests, lets in-flight
   * handlers finish (they may still publish and reply), then closes: later `publish` and
   * `request` fail with `BusClosed`. Calling it again returns the same promise.
   */
  drain(): Promise<void>;
}

export interface BusMessage {
  readonly subject: string;
  readonly data: unknown;
  /** Present on requests. */
  readonly reply?: string;
  /** Answers a request (only the first answer counts); a no-op on a plain publish. */
  respond(data: unknown): void;
}

export type MessageHandler = (message: BusMessage) => void | Promise<void>;
export type RequestHandler = (data: unknown, message: BusMessage) => unknown | Promise<unknown>;

export interface SubscribeOptions {
  /** Queue group: each message goes to one member of the group. */
  queue?: string;
}

export interface RequestOptions {
  /** Default `DEFAULT_REQUEST_TIMEOUT_MS`. */
  timeoutMs?: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;

export interface Subscription {
  readonly subject: string;
  unsubscribe(): void;
}
