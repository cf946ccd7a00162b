import type { z } from 'zod';
import type { Bus, Subscription } from '../bus/bus.js';
import type { Subjects } from '../bus/subjects.js';
import type { Principal } from '../contract/principal.js';
import type { RouteDef } from '../contract/route.js';

/** What the HTTP layer sends on `rpc.<routeId>`: the caller and the already-validated request. */
export interface RpcRequest<R extends RouteDef = RouteDef> {
  principal: Principal;
  params: R extends RouteDef<infer P, z.ZodType, z.ZodType, z.ZodType> ? z.infer<P> : never;
  query: R extends RouteDef<z.ZodType, infer Q, z.ZodType, z.ZodType> ? z.infer<Q> : never;
  body: R extends RouteDef<z.ZodType, z.ZodType, infer B, z.ZodType> ? z.infer<B> : never;
  /** Set for `abortOnClose` routes: published on `subjects.rpcAbort` if the client goes away. */
  abortKey?: string;
  /** Set on routes with `preferAsync`: the client sent `Prefer: respond-async`. */
  prefer?: { respondAsync: boolean };
}

export type RouteHandler<R extends RouteDef> = (
  request: RpcRequest<R>,
) => Promise<z.input<R['reply']>> | z.input<R['reply']>;

/**
 * Serves one contract route on the bus. The handler gets the validated request and returns the
 * success body; it throws `BridgeError` for everything else. A route nobody serves answers 501.
 */
export function serveRoute<R extends RouteDef>(bus: Bus, subjects: Subjects, route: R, handler: RouteHandler<R>): Subscription {
  return bus.serve(subjects.rpc(route.id), (data) => handler(data as RpcRequest<R>), { queue: 'rpc' });
}
