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
  /** Calls `handler` for each message on a matching subject until unsubscribed or drained. */
  subscribe(subject: string, handler: MessageHandler, options?: SubscribeOptions): Subscription;
  /**
   * Sends `data` to one responder and resolves with its reply. Rejects with `BusNoResponders`
   * at once when nothing listens, `BusTimeout` after `timeoutMs` (default 5000), or
   * `BusRemoteError` when the responder's handler threw.
   */
  request<T = unknown>(subject: string, data: unknown, options?: RequestOptions): Promise<T>;
  /**
   * Serves requests on `subject`: the handler's return value (or rejection) is the reply.
   * Sugar over subscribe + respond, shared by both implementations.
   */
  serve(subject: string, handler: RequestHandler, options?: SubscribeOptions): Subscription;
  /** Stops accepting messages, lets in-flight handlers finish, then closes. */
  drain(): Promise<void>;
}

export interface BusMessage {
  readonly subject: string;
  readonly data: unknown;
  /** Present on requests. */
  readonly reply?: string;
  /** Answers a request; a no-op on a plain publish. */
  respond(data: unknown): void;
}

export type MessageHandler = (message: BusMessage) => void | Promise<void>;
export type RequestHandler = (data: unknown, message: BusMessage) => unknown | Promise<unknown>;

export interface SubscribeOptions {
  /** Queue group: each message goes to one member of the group. */
  queue?: string;
}

export interface RequestOptions {
  timeoutMs?: number;
}

export interface Subscription {
  readonly subject: string;
  unsubscribe(): void;
}
