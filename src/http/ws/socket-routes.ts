import fastifyWebsocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { HttpDeps } from '../http-deps.js';
import { eventStreamRoute } from './event-stream.js';
import { inspectorStreamRoute } from './inspector-stream.js';
import { answerHandshakeError, onSocketError } from './socket-errors.js';

/**
 * The WebSocket routes, with @fastify/websocket registered in their own context only. At the
 * root its `onResponse` hook would reach every HTTP route, and any `onResponse` hook makes fastify
 * set up response listeners on every request (docs/performance.md, bridge/info). What the plugin
 * did for the other routes, closing the socket of an upgrade answered over HTTP and refusing an
 * upgrade to an HTTP route, is done at the root by `http-upgrades.ts`.
 */
export async function socketRoutes(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 }, errorHandler: onSocketError });
  app.websocketServer.on('wsClientError', answerHandshakeError);
  await app.register(eventStreamRoute, deps);
  await app.register(inspectorStreamRoute, deps);
}
