import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { BridgeError } from '../../contract/errors.js';
import { sendError } from '../errors.js';

/**
 * Upgrade requests that get an HTTP answer instead of a socket: refused by the guard, unknown
 * paths, or sent to an HTTP route. Their socket was handed over by Node's `upgrade` event, so no
 * HTTP server closes or reuses it: it is destroyed once the answer is written, or every refused
 * upgrade would leak one. An HTTP route asked for an upgrade refuses it with a structured 400
 * (@fastify/websocket accepted it and closed the socket at once): the route's own answer never
 * goes to an upgrade. The plugin did both for every route from the root; it now lives with the
 * socket routes only (`socket-routes.ts`).
 */
export function registerHttpUpgrades(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions & { wsHandler?: unknown; websocket?: boolean }) => {
    if (route.websocket || route.wsHandler) return;
    const handler = route.handler;
    route.handler = function refuseUpgrade(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
      if (isUpgrade(request)) return refuseUpgradeTo(request, reply);
      return handler.call(this, request, reply);
    } as RouteOptions['handler'];
  });

  app.addHook('onSend', (request, reply, payload, done) => {
    if (isUpgrade(request)) {
      const socket = request.raw.socket;
      reply.raw.once('finish', () => socket.destroy());
    }
    done(null, payload);
  });
}

function refuseUpgradeTo(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?')[0]!;
  return sendError(reply, new BridgeError('invalid_request', `${path} is not a WebSocket endpoint: send it without Upgrade.`, { details: { reason: 'not_a_socket' } }));
}

/**
 * Node's parser sets `upgrade` on every request: true when it came with `Connection: upgrade`
 * and was handed over by the server's `upgrade` event (@types/node does not declare it). An
 * `Upgrade` header alone is an ordinary request.
 */
const isUpgrade = (request: FastifyRequest): boolean => (request.raw as { upgrade?: boolean }).upgrade === true;
