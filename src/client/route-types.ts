import type { z } from 'zod';
import type { EventEnvelope, EventType } from '../contract/events.js';
import type { RouteDef } from '../contract/route.js';
import type { ROUTES } from '../contract/routes/index.js';

/*
 * The typed API is derived from `typeof ROUTES`: a route added to the contract gets its method
 * here with no edit. A route that declares no params/query/body schema keeps the `RouteDef`
 * default (`z.ZodType`), which is how "declares none" is told apart from a real schema.
 */

type Routes = typeof ROUTES;

/**
 * Routes reached through `handshake()` and `refresh()` instead, which keep the client's session;
 * calling them raw would hand out a token the client does not use.
 */
export type SessionRouteName = 'sessionHandshake' | 'sessionRefresh';
export type ApiRouteName = Exclude<keyof Routes, SessionRouteName>;

type Declared<S> = [S] extends [z.ZodType] ? (z.ZodType extends S ? false : true) : false;
type SchemaOf<R extends RouteDef, K extends 'params' | 'query' | 'body'> = NonNullable<R[K]>;
/** True when an empty object is a valid `T`: nothing in it is required. */
type AllOptional<T> = Partial<T> extends T ? true : false;

/** Query strings carry text, so coercing schemas accept `unknown`; callers get the parsed type. */
type QueryInput<Q extends z.ZodType> = {
  [K in keyof z.input<Q>]: unknown extends z.input<Q>[K] ? (K extends keyof z.output<Q> ? z.output<Q>[K] : z.input<Q>[K]) : z.input<Q>[K];
};

type ParamsPart<R extends RouteDef> =
  Declared<SchemaOf<R, 'params'>> extends true ? { params: z.input<SchemaOf<R, 'params'>> } : { params?: never };

type QueryPart<R extends RouteDef> =
  Declared<SchemaOf<R, 'query'>> extends true
    ? AllOptional<QueryInput<SchemaOf<R, 'query'>>> extends true
      ? { query?: QueryInput<SchemaOf<R, 'query'>> }
      : { query: QueryInput<SchemaOf<R, 'query'>> }
    : { query?: never };

type BodyPart<R extends RouteDef> =
  Declared<SchemaOf<R, 'body'>> extends true
    ? undefined extends z.input<SchemaOf<R, 'body'>>
      ? { body?: z.input<SchemaOf<R, 'body'>> }
      : AllOptional<z.input<SchemaOf<R, 'body'>>> extends true
        ? { body?: z.input<SchemaOf<R, 'body'>> }
        : { body: z.input<SchemaOf<R, 'body'>> }
    : { body?: never };

type Simplify<T> = { [K in keyof T]: T[K] };

/** What one call takes: `params`, `query` and `body` as the route declares them, and a signal. */
export type RouteCallOptions<R extends RouteDef> = Simplify<
  ParamsPart<R> &
    QueryPart<R> &
    BodyPart<R> & {
      signal?: AbortSignal;
      /** Execute: reply at once (decision `pending`, follow the job's events) instead of being held until the user decides. */
      respondAsync?: boolean;
    }
>;

/** What one call resolves to: the route's reply, as parsed. */
export type RouteResult<R extends RouteDef> = z.output<R['reply']>;

/** A route's method; its argument is optional when nothing in it is required. */
export type RouteMethod<R extends RouteDef> = AllOptional<RouteCallOptions<R>> extends true
  ? (options?: RouteCallOptions<R>) => Promise<RouteResult<R>>
  : (options: RouteCallOptions<R>) => Promise<RouteResult<R>>;

/** One typed method per contract route, named as in `ROUTES`. */
export type BridgeApi = { readonly [N in ApiRouteName]: RouteMethod<Routes[N]> };

/** Options of the route named `N`, e.g. `RouteOptionsOf<'systemCommandsExecute'>`. */
export type RouteOptionsOf<N extends keyof Routes> = RouteCallOptions<Routes[N]>;
/** Reply of the route named `N`, e.g. `RouteReplyOf<'bridgeInfo'>`. */
export type RouteReplyOf<N extends keyof Routes> = RouteResult<Routes[N]>;

/** An event from the stream, discriminated by `type` so `data` narrows with it. */
export type BridgeEvent = { [T in EventType]: EventEnvelope<T> }[EventType];
