import { z } from 'zod';
import type { RouteDef } from './route.js';
import { ROUTES } from './routes/index.js';

/**
 * Routes a client may also call on its event socket with a `request` frame. An explicit
 * allow-list of contract routes (never a second route table): each is parsed, dispatched and
 * checked exactly as its HTTP route is. Only the hot MCP paths are here; prompt answers, UI-token
 * routes and anything that changes who may do what stay HTTP (or `prompt.resolve`).
 */
export const SOCKET_ROUTES: ReadonlyMap<string, RouteDef> = new Map(
  [ROUTES.mcpCall, ROUTES.mcpResourcesRead].map((route) => [route.id, route as RouteDef]),
);

/**
 * Largest `request` frame the bridge reads (the socket itself refuses frames over 64 KiB with
 * close code 1009). The typed client sends larger calls over HTTP instead.
 */
export const MAX_REQUEST_FRAME_BYTES = 60 * 1024;

/** Requests one socket may have in flight; more are refused `rate_limited` until some finish. */
export const MAX_SOCKET_REQUESTS_IN_FLIGHT = 64;

const requestIdSchema = z.string().min(1).max(128).describe('Chosen by the client; unique among its requests in flight on this socket.');

/** `{ type: 'request', id, route, body }`: one call of a route of `SOCKET_ROUTES`. */
export const socketRequestFrameSchema = z.strictObject({
  type: z.literal('request'),
  id: requestIdSchema,
  route: z.string().max(128).describe('The route id, e.g. `mcp.call`.'),
  body: z.unknown().optional().describe('Exactly the HTTP route\'s body.'),
});
export type SocketRequestFrame = z.infer<typeof socketRequestFrameSchema>;

/** `{ type: 'cancel', id }`: the request is abandoned, as when an HTTP client closes its connection. */
export const socketCancelFrameSchema = z.strictObject({
  type: z.literal('cancel'),
  id: requestIdSchema,
});

/**
 * The answer to a request frame: the HTTP route's status and body, success reply or error
 * envelope `{ error: { code, message, details? } }`. `id` is null when the frame was unreadable.
 */
export interface SocketReplyFrame {
  type: 'reply';
  id: string | null;
  status: number;
  body: unknown;
}
