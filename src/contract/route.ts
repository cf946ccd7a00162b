import type { z } from 'zod';

/** Who may call a route: nobody in particular, a web-app session, or the local UI. */
export type RouteAuth = 'none' | 'session' | 'ui' | 'session_or_ui';
export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/**
 * One route of the contract: its identity, who may call it and the schemas of its request and
 * success reply. The HTTP layer, the OpenAPI document, the docs test and the typed client all read
 * these definitions; nothing else describes a route.
 */
export interface RouteDef<
  Params extends z.ZodType = z.ZodType,
  Query extends z.ZodType = z.ZodType,
  Body extends z.ZodType = z.ZodType,
  Reply extends z.ZodType = z.ZodType,
> {
  /** Stable id, e.g. `system.commands.execute`; also names the bus subject that serves it. */
  readonly id: string;
  readonly method: HttpMethod;
  /** Path with `:param` placeholders, exactly as in the seed README. */
  readonly path: string;
  readonly auth: RouteAuth;
  readonly summary: string;
  readonly params?: Params;
  readonly query?: Query;
  readonly body?: Body;
  readonly reply: Reply;
  /** Limited per origin (429 `rate_limited` past the configured rate): the handshake. */
  readonly rateLimited?: boolean;
  /**
   * Largest body accepted, in bytes (413 `payload_too_large` past it). Routes whose requests are
   * small declare `SMALL_BODY_LIMIT_BYTES`; without it, the configured `bodyLimitBytes` applies.
   */
  readonly bodyLimit?: number;
  /** Status of a success reply (202 for work accepted but not finished). */
  readonly successStatus?: 200 | 201 | 202;
  /**
   * `accepted`: a job route (execute, install). Every error it answers, validation failures
   * included, carries `accepted: false` and `reason: { code, message }` beside the usual `error`
   * body, with the registry's HTTP status: the web app reads a refusal from `accepted`.
   */
  readonly refusals?: 'accepted';
  /**
   * The route honours `Prefer: respond-async` (RFC 7240): the HTTP layer passes the preference
   * on the bus (`RpcRequest.prefer`) and answers `Preference-Applied` when the reply says it
   * was applied (`held: false`).
   */
  readonly preferAsync?: boolean;
  /**
   * How long the HTTP layer waits for the bus reply. Long-polling routes derive it from the
   * request (e.g. `waitMs`); everything else uses the bus default.
   */
  readonly replyTimeoutMs?: (request: { query: z.infer<Query>; body: z.infer<Body> }) => number;
  /**
   * The work stops when the HTTP client goes away before the reply: the request carries an
   * `abortKey`, and the HTTP layer publishes it on `subjects.rpcAbort` when the connection closes.
   */
  readonly abortOnClose?: boolean;
}

/** Declares a route, keeping its schema types for the client and the handlers. */
export function defineRoute<
  Params extends z.ZodType = z.ZodType,
  Query extends z.ZodType = z.ZodType,
  Body extends z.ZodType = z.ZodType,
  Reply extends z.ZodType = z.ZodType,
>(def: RouteDef<Params, Query, Body, Reply>): RouteDef<Params, Query, Body, Reply> {
  return def;
}

export type RouteParams<R> = R extends RouteDef<infer P, z.ZodType, z.ZodType, z.ZodType> ? z.infer<P> : never;
export type RouteQuery<R> = R extends RouteDef<z.ZodType, infer Q, z.ZodType, z.ZodType> ? z.input<Q> : never;
export type RouteBody<R> = R extends RouteDef<z.ZodType, z.ZodType, infer B, z.ZodType> ? z.input<B> : never;
export type RouteReply<R> = R extends RouteDef<z.ZodType, z.ZodType, z.ZodType, infer T> ? z.infer<T> : never;
